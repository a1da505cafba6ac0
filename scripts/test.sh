#!/usr/bin/env bash
# Install pbrsim with its test extras into .venv and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# pip compiles a regular install's bytecode but not an editable one's; without it, a machine that sets
# PYTHONDONTWRITEBYTECODE compiles pbrsim's sources in every process (about 0.1 s of each command)
.venv/bin/python -m compileall -q simulator
exec .venv/bin/python -m pytest "$@"
