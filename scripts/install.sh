#!/usr/bin/env bash
# Install pbrsim into .venv, with the extras named in $1 if any (scripts/test.sh: "test"): the install step that
# scripts/run-default.sh and scripts/test.sh share.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${1:+[$1]}"
# pip compiles a regular install's bytecode but not an editable one's; without it, a machine that sets
# PYTHONDONTWRITEBYTECODE compiles pbrsim's sources in every process (about 0.1 s of each command)
.venv/bin/python -m compileall -q simulator
