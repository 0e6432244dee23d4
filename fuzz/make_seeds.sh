#!/usr/bin/env bash
# Rebuilds the committed seed corpora of the driver decoders: real commands
# of every op, written by make_seeds.escript with the application's own
# encoders. Run it after changing the wire protocol; commit the result. (The
# module loader's seeds are the WAT test modules, compiled by fuzz/run.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
rebar3 compile >/dev/null
for target in decode_command decode_compact_call decode_compact_answer; do
  rm -rf "fuzz/corpus/$target"
done
escript fuzz/make_seeds.escript _build/default/lib/hb_beamr/ebin fuzz/corpus
