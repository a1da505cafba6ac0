#!/usr/bin/env bash
# Install pbrsim into .venv and run the bundled default scenario (10,000 simulations).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/pbrsim run scenarios/tr_crc_default.toml --sims 10000 --seed 7 --out results/default "$@"
