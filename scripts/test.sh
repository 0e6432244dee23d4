#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test suite
# on both engines: the engine crate's own tests (the module rewriter, cargo
# test), then on Wasmtime (the default) the C++ suite (CTest), the same
# suite under AddressSanitizer + UBSan, the libFuzzer targets, the Erlang
# suite (EUnit) and dialyzer; on WAMR the C++ and Erlang suites again.
# The sanitizer steps include the driver's own unit tests (c_src/test); the
# ThreadSanitizer step runs them alone (the engine is not instrumented). Exits non-zero if
# anything fails. Tests an engine cannot run are skipped with a printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
status=0
step() { echo; echo "==== $*"; }

step "build"
scripts/build.sh

# The rewriter's tests run rewritten modules on Wasmtime, so they link it;
# the shared target dir keeps that build incremental.
step "engine crate tests: the module rewriter (cargo test)"
(cd engine && CARGO_TARGET_DIR="$HOME/.cache/hb_beamr/cargo-target" \
  cargo test --release --locked) || status=1

step "C++ tests (ctest)"
ctest --test-dir build --output-on-failure || status=1

# Builds the core's and the driver's unit tests (c_src/test links the
# driver's codecs without the driver itself).
step "C++ tests under AddressSanitizer + UBSan (ctest)"
HB_BEAMR_BUILD_DIR=build-asan scripts/build.sh -DHB_BEAMR_SANITIZE=ON \
  -DHB_BEAMR_BUILD_DRIVER=OFF -DCMAKE_BUILD_TYPE=Debug
# Wasmtime turns out-of-bounds accesses into traps with its own SIGSEGV
# handler; ASan must let it. A failed allocation returns null, as it does
# without ASan: hostile modules ask for tables of 2^32 elements, and the
# engine must answer that with an error, which is what the tests check.
ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1:allocator_may_return_null=1 \
  ctest --test-dir build-asan --output-on-failure || status=1

# ThreadSanitizer instruments our code only. Anything that compiles a
# module runs Wasmtime's (uninstrumented) compiler threads, whose own
# synchronisation TSan cannot see: it reports races inside Cranelift. So
# only what runs without the engine is checked here; see README, Sanitizers.
step "driver unit tests under ThreadSanitizer (ctest)"
# Only the driver's test program: the rest of the suite is not run here.
cmake -S . -B build-tsan -G Ninja -DHB_BEAMR_TSAN=ON \
  -DHB_BEAMR_BUILD_DRIVER=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-tsan --target hb_beamr_driver_tests
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
  ctest --test-dir build-tsan --output-on-failure \
  -R '^(Compact|Terms|Corruption|CallStack)\.' || status=1

# Every project source instrumented for coverage, ASan and UBSan; each
# target runs from its committed seeds for a short budget (fuzz/run.sh).
step "fuzzing (libFuzzer, ASan + UBSan, 30 s per target)"
CC=clang CXX=clang++ HB_BEAMR_BUILD_DIR=build-fuzz scripts/build.sh \
  -DHB_BEAMR_FUZZ=ON -DHB_BEAMR_BUILD_TESTS=OFF -DHB_BEAMR_BUILD_DRIVER=OFF
fuzz/run.sh build-fuzz 30 || status=1

step "Erlang tests (eunit)"
HB_BEAMR_FIXTURE_DIR="$PWD/build/fixtures" rebar3 eunit || status=1

step "dialyzer"
rebar3 dialyzer || status=1

# WAMR's driver goes to build-wamr/priv so it never replaces the default one.
step "build (WAMR engine)"
HB_BEAMR_BUILD_DIR=build-wamr scripts/build.sh -DHB_BEAMR_ENGINE=wamr \
  -DHB_BEAMR_PRIV_DIR="$PWD/build-wamr/priv"

step "C++ tests on WAMR (ctest)"
ctest --test-dir build-wamr --output-on-failure || status=1

step "Erlang tests on WAMR (eunit)"
HB_BEAMR_DRIVER_DIR="$PWD/build-wamr/priv" \
  HB_BEAMR_FIXTURE_DIR="$PWD/build-wamr/fixtures" rebar3 eunit || status=1

echo
if ((status == 0)); then echo "ALL TEST SUITES PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
