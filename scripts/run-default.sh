#!/usr/bin/env bash
# Install pbrsim into .venv and run the bundled default scenario (10,000 simulations).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/pbrsim run scenarios/tr_crc_default.toml --sims 10000 --seed 7 --out results/default "$@"
