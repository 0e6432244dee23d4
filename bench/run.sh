#!/usr/bin/env bash
# The benchmark suite, one command (also `make bench`):
#
#   bench/run.sh [--quick] [wasmtime|wamr|all]      (default: all)
#
# Installs what is missing (the project's dependencies and gnuplot-nox),
# builds the suite for each engine into its own directory (build-bench/,
# build-bench-wamr/, each with its own priv/, never build/ or priv/), runs
# the native floors and the Erlang benchmarks, and writes into bench/results/:
#   raw.csv      every measurement: engine,group,name,unit,reps,min,median,detail
#   summary.md   the machine and one table per engine (figure, floor, ratio)
#   summary.csv  the same rows as numbers
#   summary.png  the ratios as a chart
#   machine.txt  what the machine was and how loaded
# Re-running one engine replaces only that engine's rows. --quick runs every
# measurement briefly (a smoke test; numbers not meaningful) and writes to
# build-bench/results-quick/ instead. $HB_BEAMR_BENCH_GROUPS picks Erlang
# groups (call,import,compute,start,memory,scale,lua,mailbox,sched; default all)
# and $HB_BEAMR_BENCH_RESULTS another results directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

quick=0
engines=(wasmtime wamr)
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    wasmtime | wamr) engines=("$arg") ;;
    all) engines=(wasmtime wamr) ;;
    *) echo "usage: bench/run.sh [--quick] [wasmtime|wamr|all]" >&2; exit 2 ;;
  esac
done
groups=${HB_BEAMR_BENCH_GROUPS:-call,import,compute,start,memory,scale,lua,mailbox,sched}
results=${HB_BEAMR_BENCH_RESULTS:-$root/bench/results}
if ((quick)); then
  export HB_BEAMR_BENCH_QUICK=1
  results=$root/build-bench/results-quick
fi
mkdir -p "$results"

# Sizes shared by the native kernels and bench/erl/hb_beamr_bench.erl.
sha256_mib=64 matmul_n=512 fib_n=35 imports_per_call=1000000

scripts/install-deps.sh
if ! command -v gnuplot >/dev/null; then
  echo "bench: installing gnuplot-nox"
  sudo_cmd=()
  ((EUID == 0)) || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gnuplot-nox </dev/null
fi

build_dir() { [[ $1 == wasmtime ]] && echo build-bench || echo "build-bench-$1"; }

for engine in "${engines[@]}"; do
  dir=$(build_dir "$engine")
  echo "==== build ($engine) in $dir"
  cmake -S . -B "$dir" -G Ninja -DHB_BEAMR_ENGINE="$engine" \
    -DHB_BEAMR_PRIV_DIR="$root/$dir/priv" -DHB_BEAMR_BUILD_BENCH=ON >/dev/null
  cmake --build "$dir"
  mkdir -p "$dir/bench/ebin"
  erlc -Werror -o "$dir/bench/ebin" src/*.erl bench/erl/*.erl
done

# What the machine was; per engine, how loaded it was and what was measured
# (load-<engine>.txt, kept when another engine is re-run alone).
machine=$results/machine.txt
source_note() {
  if [[ -n ${HB_BEAMR_BENCH_SOURCE:-} ]]; then
    echo "$HB_BEAMR_BENCH_SOURCE"
  elif git rev-parse --short HEAD >/dev/null 2>&1; then
    echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
  else
    echo "not a git checkout"
  fi
}
write_machine() {
  {
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu:      $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "os:       $(uname -sr), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
    echo "erlang:   OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().')"
    echo "compiler: $(clang --version | head -1) (kernels), $(c++ --version | head -1) (core)"
    echo "engines:  wasmtime $(grep -A1 '^name = "wasmtime"$' engine/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p') (Cranelift), wamrx-sys $(grep -A1 '^name = "wamrx-sys"$' engine/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p') (WAMR classic interpreter, built from its sources)"
    if ((quick)); then echo "mode:     --quick (smoke run, numbers not meaningful)"; fi
    for e in wasmtime wamr; do
      if [[ -f $results/load-$e.txt ]]; then cat "$results/load-$e.txt"; fi
    done
  } >"$machine"
}

raw=$results/raw.csv
touch "$raw"
for engine in "${engines[@]}"; do
  dir=$root/$(build_dir "$engine")
  out=$results/raw-$engine.csv.tmp
  : >"$out"
  load_file=$results/load-$engine.txt
  {
    echo "$engine:"
    echo "  source:      $(source_note)"
    echo "  run:         $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "  load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
  } >"$load_file.tmp"
  echo "==== native floors ($engine)"
  floors=$dir/bench/hb_beamr_bench_floors
  wasm=$dir/bench/wasm
  fac=$dir/fixtures/fac.wasm
  {
    "$floors" memcpy 1 64 256
    "$floors" handoff
    "$floors" call "$fac"
    "$floors" import "$wasm/import_loop.wasm" "$imports_per_call"
    "$floors" invoke "$dir/fixtures/emsc_invoke.wasm" 1000
    "$floors" start small "$fac"
    "$floors" start large "$wasm/large.wasm"
    "$floors" start lua "$wasm/lua.wasm"
    "$floors" rewrite lua "$wasm/lua.wasm"
    "$floors" rewrite large "$wasm/large.wasm"
    "$floors" lua "$wasm/lua.wasm"
    "$floors" footprint "$fac" 1000
    "$dir/bench/hb_beamr_bench_kernels" "$sha256_mib" "$matmul_n" "$fib_n"
    "$dir/bench/hb_beamr_bench_kernels_novec" "$sha256_mib" "$matmul_n" "$fib_n"
  } | sed "s/^/$engine,/" | tee -a "$out"
  echo "==== Erlang benchmarks ($engine)"
  # One fresh VM per group, so that no group inherits another's memory
  # (resident-memory figures) or threads.
  for group in ${groups//,/ }; do
    HB_BEAMR_DRIVER_DIR=$dir/priv erl -noshell -pa "$dir/bench/ebin" \
      -run hb_beamr_bench main "$engine" "$out" "$wasm" "$fac" "$group" \
      "$sha256_mib" "$matmul_n" "$fib_n"
  done
  echo "  load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$load_file.tmp"
  mv "$load_file.tmp" "$load_file"
  # Replace this engine's rows, keep the other's.
  { grep -v "^$engine," "$raw" | grep -v '^engine,' || true; } >"$raw.tmp"
  { echo "engine,group,name,unit,reps,min,median,detail"; cat "$raw.tmp" "$out"; } >"$raw"
  rm -f "$raw.tmp" "$out"
done
write_machine

echo "==== summary"
dir=$root/$(build_dir "${engines[0]}")
erl -noshell -pa "$dir/bench/ebin" -run hb_beamr_bench_report main \
  "$raw" "$results" "$machine"
gnuplot -e "dat='$results/summary.dat'; png='$results/summary.png'" bench/summary.gp
rm -f "$results/summary.dat"
echo "bench: results in ${results#"$root"/}/"
