#!/usr/bin/env bash
# Install pbrsim into .venv and run the bundled default scenario (10,000 simulations).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
# pip compiles a regular install's bytecode but not an editable one's; without it, a machine that sets
# PYTHONDONTWRITEBYTECODE compiles pbrsim's sources in every process (about 0.1 s of each command)
.venv/bin/python -m compileall -q simulator
exec .venv/bin/pbrsim run scenarios/tr_crc_default.toml --sims 10000 --seed 7 --out results/default "$@"
