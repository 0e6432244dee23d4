// The WASI provider running a real wasi-libc program (fixtures/wasi/
// wasi_hello.c, built with _start): argv, environ, clocks, random bytes,
// stdin, stdout and stderr in each sink mode, output bounds and proc_exit.
// Every import the program makes must be covered: the context is linked
// with the provider's bindings only.
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "wasi_test_support.hpp"

namespace hb_beamr::test {
namespace {

using WasiProgramTest = RuntimeTest;

// What one run of the program left behind.
struct Outcome {
  Status status;
  std::string out;
  std::string err;
  std::optional<uint32_t> exit_code;
  State state = State::uninitialized;
};

// Runs wasi_hello's _start with argv {"wasi_hello", command...}.
Outcome run(WasiOptions options, const std::vector<std::string> &command,
            const ContextOptions &context_options = {}) {
  options.args.insert(options.args.begin(), "wasi_hello");
  options.args.insert(options.args.end(), command.begin(), command.end());
  Wasi wasi(std::move(options));
  std::unique_ptr<Context> ctx = with_wasi("wasi_hello", wasi, context_options);
  if (!ctx)
    return {make_error(ErrorKind::link, "not instantiated"),
            "",
            "",
            {},
            State::uninitialized};
  std::vector<wasm_val_t> results;
  Status status = ctx->call("_start", {}, results);
  return {status, wasi.take_output(Stream::out), wasi.take_output(Stream::err),
          wasi.exit_code(), ctx->state()};
}

std::string pattern(size_t from, size_t length) {
  std::string s;
  for (size_t i = from; i < from + length; ++i)
    s.push_back(static_cast<char>('0' + i % 10));
  return s;
}

TEST_F(WasiProgramTest, HelloWorldIsCapturedOnBothStreams) {
  Outcome r = run({}, {"hello"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ("hello, world\n", r.out);
  EXPECT_EQ("oops\n", r.err);
  EXPECT_FALSE(r.exit_code) << "main returned 0: no proc_exit";
  EXPECT_EQ(State::instantiated, r.state);
}

TEST_F(WasiProgramTest, ArgumentsReachMainExactly) {
  Outcome r = run({}, {"args", "two words", "", "caf\xc3\xa9"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ("[0]=wasi_hello\n[1]=args\n[2]=two words\n[3]=\n[4]=caf\xc3\xa9\n",
            r.out);
}

TEST_F(WasiProgramTest, EnvironmentIsVisible) {
  WasiOptions options;
  options.env = {{"GREETING", "hi=there"}, {"EMPTY", ""}};
  Outcome r = run(options, {"env", "GREETING"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ("GREETING=hi=there\ncount=2\n", r.out);
  Outcome unset = run({}, {"env", "GREETING"});
  EXPECT_EQ("GREETING=(unset)\ncount=0\n", unset.out);
}

TEST_F(WasiProgramTest, ClocksAreTheHostsClocks) {
  std::time_t before = std::time(nullptr);
  Outcome r = run({}, {"clocks"});
  std::time_t after = std::time(nullptr);
  ASSERT_TRUE(r.status) << r.status.error().message;
  size_t newline = r.out.find('\n');
  ASSERT_NE(std::string::npos, newline) << r.out;
  long long seconds = std::stoll(r.out.substr(0, newline));
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, after);
  EXPECT_EQ("monotonic ok\n", r.out.substr(newline + 1));
}

TEST_F(WasiProgramTest, DeterministicRandomIsSplitMix64OfTheSeed) {
  WasiOptions options;
  options.deterministic = true;
  options.seed = 0;
  Outcome r = run(options, {"random", "16"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  // SplitMix64(0)'s first two outputs, little-endian.
  EXPECT_EQ("afcd1d7b39a820e2f465b9a16a9e786e\n", r.out);
  EXPECT_EQ(r.out, run(options, {"random", "16"}).out) << "replays";
  options.seed = 1;
  EXPECT_NE(r.out, run(options, {"random", "16"}).out);
}

TEST_F(WasiProgramTest, RandomComesFromTheOsOtherwise) {
  Outcome first = run({}, {"random", "32"});
  Outcome second = run({}, {"random", "32"});
  ASSERT_TRUE(first.status && second.status);
  EXPECT_EQ(65u, first.out.size());
  EXPECT_NE(first.out, second.out);
}

TEST_F(WasiProgramTest, DeterministicContextMakesRandomReproducible) {
  HB_BEAMR_REQUIRE(Feature::deterministic);
  ContextOptions deterministic;
  deterministic.deterministic = true;
  Outcome r = run({}, {"random", "8"}, deterministic);
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ("afcd1d7b39a820e2\n", r.out) << "seed 0 by default";
}

TEST_F(WasiProgramTest, StdinIsReadToItsEnd) {
  WasiOptions options;
  options.stdin_data = std::string("abc\nxyz\0!", 9);
  Outcome r = run(options, {"stdin"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ(std::string("9:ABC\nXYZ\0!", 11), r.out);
  EXPECT_EQ("0:", run({}, {"stdin"}).out);
}

TEST_F(WasiProgramTest, ProcExitTrapsWithItsCodeAfterFlushing) {
  Outcome r = run({}, {"exit", "7"});
  ASSERT_FALSE(r.status);
  EXPECT_EQ(ErrorKind::trap, r.status.error().kind);
  EXPECT_TRUE(contains(r.status.error().message, "proc_exit(7)"))
      << r.status.error().message;
  ASSERT_TRUE(r.exit_code);
  EXPECT_EQ(7u, *r.exit_code);
  EXPECT_EQ("bye\n", r.out) << "libc flushed stdout before proc_exit";
  EXPECT_EQ(State::trapped, r.state);
}

TEST_F(WasiProgramTest, ExitZeroIsStillAnExit) {
  Outcome r = run({}, {"exit", "0"});
  // Only a main() returning 0 skips proc_exit; exit(0) calls it, so the
  // call ends with a trap like any other code and the code is known.
  ASSERT_TRUE(r.exit_code);
  EXPECT_EQ(0u, *r.exit_code);
  EXPECT_FALSE(r.status);
}

TEST_F(WasiProgramTest, DiscardKeepsNothingAndDropsNothing) {
  WasiOptions options;
  options.stdout_sink = OutputSink::discard();
  options.args = {"wasi_hello", "hello"};
  Wasi runner(options);
  std::unique_ptr<Context> ctx = with_wasi("wasi_hello", runner);
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("_start", {}, results)) << ctx->last_error();
  EXPECT_EQ("", runner.take_output(Stream::out));
  EXPECT_EQ(0u, runner.dropped_bytes(Stream::out));
  EXPECT_EQ("oops\n", runner.take_output(Stream::err)) << "stderr captured";
}

TEST_F(WasiProgramTest, StderrHasTheSameThreeModes) {
  std::string seen;
  WasiOptions options;
  options.stderr_sink =
      OutputSink::to([&](std::string_view bytes) { seen.append(bytes); });
  Outcome to_callback = run(options, {"hello"});
  ASSERT_TRUE(to_callback.status) << to_callback.status.error().message;
  EXPECT_EQ("oops\n", seen);
  EXPECT_EQ("", to_callback.err);
  EXPECT_EQ("hello, world\n", to_callback.out);
  options.stderr_sink = OutputSink::discard();
  Outcome discarded = run(options, {"hello"});
  EXPECT_EQ("", discarded.err);
  EXPECT_EQ("oops\n", seen) << "the old callback is not called";
}

TEST_F(WasiProgramTest, CallbackSeesEveryByteInOrder) {
  std::string seen;
  size_t pieces = 0;
  size_t largest = 0;
  WasiOptions options;
  options.args = {"wasi_hello", "flood", "200000"};
  options.stdout_sink = OutputSink::to([&](std::string_view bytes) {
    seen.append(bytes);
    ++pieces;
    largest = std::max(largest, bytes.size());
  });
  options.output_limit = 10; // bounds capture only
  Wasi wasi(options);
  std::unique_ptr<Context> ctx = with_wasi("wasi_hello", wasi);
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("_start", {}, results)) << ctx->last_error();
  EXPECT_EQ(pattern(0, 200000), seen);
  EXPECT_EQ(200u, pieces) << "one piece per 1000-byte write";
  EXPECT_EQ(1000u, largest);
  EXPECT_EQ("", wasi.take_output(Stream::out));
  EXPECT_EQ(0u, wasi.dropped_bytes(Stream::out));
}

TEST_F(WasiProgramTest, CaptureKeepsTheNewestBytesAndCountsTheRest) {
  WasiOptions options;
  options.output_limit = 4096;
  Outcome r = run(options, {"flood", "100000"});
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ(pattern(100000 - 4096, 4096), r.out);
}

TEST_F(WasiProgramTest, DroppedBytesAreCountedAcrossTakes) {
  WasiOptions options;
  options.output_limit = 4096;
  options.args = {"wasi_hello", "flood", "10000"};
  Wasi wasi(options);
  std::unique_ptr<Context> ctx = with_wasi("wasi_hello", wasi);
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("_start", {}, results)) << ctx->last_error();
  EXPECT_EQ(10000u - 4096u, wasi.dropped_bytes(Stream::out));
  EXPECT_EQ(pattern(10000 - 4096, 4096), wasi.take_output(Stream::out));
  EXPECT_EQ("", wasi.take_output(Stream::out)) << "drained";
  EXPECT_EQ(10000u - 4096u, wasi.dropped_bytes(Stream::out));
}

TEST_F(WasiProgramTest, SleepWaitsOnPollOneoff) {
  auto start = std::chrono::steady_clock::now();
  Outcome r = run({}, {"sleep", "30"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.status) << r.status.error().message;
  EXPECT_EQ("slept\n", r.out);
  EXPECT_GE(elapsed, std::chrono::milliseconds(30));
}

} // namespace
} // namespace hb_beamr::test
