#!/usr/bin/env bash
# Rebuilds the committed seed corpora from this repository's sources: the
# module loader's seeds are the WAT test modules (fixtures/*.wat) compiled
# with wat2wasm. Run it after changing the fixtures; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/load_module
rm -rf "$out" && mkdir -p "$out"
for wat in fixtures/*.wat; do
  wat2wasm --enable-all "$wat" -o "$out/$(basename "$wat" .wat).wasm"
done
