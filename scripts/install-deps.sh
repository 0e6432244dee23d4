#!/usr/bin/env bash
# Installs what building and testing hb_beamr needs on Debian, skipping what is
# already there. Safe to run again; needs root or sudo for apt-get.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config        # C++ build
  libgtest-dev                            # C++ tests
  wabt clang lld wasi-libc                # test modules: WAT and C -> wasm
  libclang-rt-14-dev-wasm32               #   compiler-rt builtins for wasm32
  emscripten binaryen                     # Lua test module: C -> wasm64 + wasm exceptions
  erlang-nox erlang-dev erlang-eunit      # Erlang, erl_driver.h, EUnit
  erlang-dialyzer erlang-tools rebar3     # dialyzer, cover, rebar3
  clang-format                            # formatting check
  libclang-rt-14-dev                      # libFuzzer + sanitizers for clang
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  ((EUID == 0)) || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# The engine is a Rust crate; Debian's Rust is too old for it, so a rustup
# toolchain (1.95 or newer) must already be on the machine.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  echo "install-deps: cargo not found; install a Rust toolchain >= 1.95 (rustup)" >&2
  exit 1
fi
