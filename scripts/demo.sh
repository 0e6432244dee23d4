#!/usr/bin/env bash
# README command 1: install what is missing, build everything, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [[ -f examples/demo.escript ]]; then
  HB_BEAMR_FIXTURE_DIR="$PWD/build/fixtures" escript examples/demo.escript
else
  echo "demo: the Erlang demo is not built yet; running the C++ demo"
fi
