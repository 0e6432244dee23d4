#!/usr/bin/env bash
# Rebuilds the committed seed corpora from this repository's sources: the
# module loader's seeds are the WAT test modules (fixtures/*.wat) compiled
# with wat2wasm; the driver decoders' seeds are real commands of every op,
# written by make_seeds.escript with the application's own encoders. Run it
# after changing the fixtures or the wire protocol; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/load_module
rm -rf "$out" && mkdir -p "$out"
for wat in fixtures/*.wat; do
  wat2wasm --enable-all "$wat" -o "$out/$(basename "$wat" .wat).wasm"
done
rebar3 compile >/dev/null
for target in decode_command decode_compact_call decode_compact_answer; do
  rm -rf "fuzz/corpus/$target"
done
escript fuzz/make_seeds.escript _build/default/lib/hb_beamr/ebin fuzz/corpus
