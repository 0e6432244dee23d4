#!/usr/bin/env bash
# README command 1: install what is missing, build everything, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
HB_BEAMR_FIXTURE_DIR="$PWD/build/fixtures" escript examples/demo.escript
