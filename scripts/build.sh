#!/usr/bin/env bash
# Configures and builds everything (engine, core, driver, test modules, Erlang
# app) into build/ (or $HB_BEAMR_BUILD_DIR). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
build_dir=${HB_BEAMR_BUILD_DIR:-build}

cmake -S . -B "$build_dir" -G Ninja "$@" >/dev/null
cmake --build "$build_dir"
rebar3 compile
