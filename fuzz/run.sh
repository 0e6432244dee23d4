#!/usr/bin/env bash
# Runs every libFuzzer target for a fixed budget from its seeds (committed
# under fuzz/corpus, or, for the module loader, compiled from fixtures/); exits non-zero on the first crash, sanitizer report, leak or
# timeout. Usage: fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]  (default 30).
# New inputs go to BUILD_DIR/fuzz-corpus, crashing ones to
# BUILD_DIR/fuzz-artifacts; a longer run is the same with more seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]}
seconds=${2:-30}
# Wasmtime turns out-of-bounds accesses into traps with its own SIGSEGV
# handler: ASan must let it (as in the ASan ctest run). Failed allocations
# return null, as without ASan, so the engine can refuse huge tables.
export ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1:allocator_may_return_null=1
# The module loader's seeds are this repository's WAT test modules, compiled
# here rather than committed as binaries.
seeds="$build/fuzz-seeds"
rm -rf "$seeds/load_module" && mkdir -p "$seeds/load_module"
for wat in fixtures/*.wat; do
  wat2wasm --enable-all "$wat" -o "$seeds/load_module/$(basename "$wat" .wat).wasm"
done
status=0
for target in "$build"/fuzz/*_fuzzer; do
  name=$(basename "$target" _fuzzer)
  work="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  inputs=("$work")
  for dir in "fuzz/corpus/$name" "$seeds/$name"; do
    if [[ -d $dir ]]; then inputs+=("$dir"); fi
  done
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -handle_segv=0 -artifact_prefix="$artifacts" -print_final_stats=1 \
      "${inputs[@]}" 2>"$build/fuzz-$name.log"; then
    echo "fuzz: $name FAILED; its log:" && tail -60 "$build/fuzz-$name.log"
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" \
      "$build/fuzz-$name.log" | sed "s/^/fuzz: $name /"
  fi
done
exit $status
