// The WASI provider called directly with chosen arguments through
// fixtures/wasi/wasi_calls.wat (wasm32) and wasi_calls64.wat (wasm64): exact
// errnos and bytes for good calls, and for hostile ones (pointers outside
// memory, 2^32-1 iovecs, overlapping iovecs, output floods) an errno or a
// trap, after which the instance goes on working.
#include <chrono>
#include <string>
#include <vector>

#include "wasi_test_support.hpp"

namespace hb_beamr::test {
namespace {

constexpr uint64_t kPage = 65536;
// WASI errno values.
constexpr int32_t kSuccess = 0, kBadf = 8, kFault = 21, kInval = 28,
                  kNosys = 52, kNotdir = 54, kNotsock = 57, kNotsup = 58,
                  kSpipe = 70, kNotcapable = 76;

wasm_val_t u32(uint64_t v) { return i32_val(static_cast<int32_t>(v)); }
wasm_val_t u64(uint64_t v) { return i64_val(static_cast<int64_t>(v)); }

class WasiCallsTest : public RuntimeTest {
protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    make({});
  }
  void TearDown() override {
    ctx_.reset();
    RuntimeTest::TearDown();
  }
  // A fresh provider with `options` and a fresh wasi_calls instance.
  void make(WasiOptions options) {
    ctx_.reset();
    wasi_ = std::make_unique<Wasi>(std::move(options));
    ctx_ = with_wasi("wasi_calls", *wasi_);
    ASSERT_TRUE(ctx_);
  }
  int32_t call(const char *name, const std::vector<wasm_val_t> &args) {
    return call_errno(*ctx_, name, args);
  }
  // Writes the (wasm32) iovecs at `at`.
  void iovecs(uint64_t at,
              const std::vector<std::pair<uint32_t, uint32_t>> &v) {
    std::string bytes;
    for (auto [address, length] : v)
      bytes += le32(address) + le32(length);
    poke(*ctx_, at, bytes);
  }
  int32_t fd_write(uint64_t fd, uint64_t iovs, uint64_t count,
                   uint64_t nwritten) {
    return call("fd_write", {u32(fd), u32(iovs), u32(count), u32(nwritten)});
  }

  std::unique_ptr<Wasi> wasi_;
  std::unique_ptr<Context> ctx_;
};

TEST_F(WasiCallsTest, FdWriteGathersItsIovecs) {
  poke(*ctx_, 100, "hello, ");
  poke(*ctx_, 200, "world\n");
  iovecs(16, {{100, 7}, {200, 6}, {300, 0}});
  poke(*ctx_, 8, le32(0xffffffff));
  EXPECT_EQ(kSuccess, fd_write(1, 16, 3, 8));
  EXPECT_EQ(13u, read_le(*ctx_, 8, 4));
  EXPECT_EQ("hello, world\n", wasi_->take_output(Stream::out));
  EXPECT_EQ(kSuccess, fd_write(2, 16, 1, 8));
  EXPECT_EQ("hello, ", wasi_->take_output(Stream::err));
}

TEST_F(WasiCallsTest, OverlappingIovecsWriteEachCopy) {
  poke(*ctx_, 100, "abcdefg");
  iovecs(16, {{100, 5}, {102, 5}, {100, 1}});
  EXPECT_EQ(kSuccess, fd_write(1, 16, 3, 8));
  EXPECT_EQ(11u, read_le(*ctx_, 8, 4));
  EXPECT_EQ("abcdecdefga", wasi_->take_output(Stream::out));
  // An iovec array that overlaps the bytes it points at is fine too.
  iovecs(16, {{16, 8}});
  EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8));
  EXPECT_EQ(le32(16) + le32(8), wasi_->take_output(Stream::out));
}

TEST_F(WasiCallsTest, BadPointersAreEfaultAndWriteNothing) {
  poke(*ctx_, 100, "data");
  iovecs(16, {{100, 4}});
  poke(*ctx_, 8, le32(1234));
  // The iovec array itself outside memory, or straddling its end.
  EXPECT_EQ(kFault, fd_write(1, 0xfffffff0, 1, 8));
  EXPECT_EQ(kFault, fd_write(1, kPage - 4, 1, 8));
  // A buffer outside memory, or one byte past its end.
  iovecs(32, {{100, 4}, {static_cast<uint32_t>(kPage - 3), 4}});
  EXPECT_EQ(kFault, fd_write(1, 32, 2, 8));
  iovecs(32, {{0xffffffff, 0xffffffff}});
  EXPECT_EQ(kFault, fd_write(1, 32, 1, 8));
  // The result pointer outside memory.
  EXPECT_EQ(kFault, fd_write(1, 16, 1, kPage - 2));
  EXPECT_EQ("", wasi_->take_output(Stream::out)) << "nothing half-written";
  EXPECT_EQ(1234u, read_le(*ctx_, 8, 4));
  // And the instance goes on.
  EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8));
  EXPECT_EQ("data", wasi_->take_output(Stream::out));
}

TEST_F(WasiCallsTest, HugeIovecCountsAreEinval) {
  EXPECT_EQ(kInval, fd_write(1, 0, 0xffffffff, 8));
  EXPECT_EQ(kInval, fd_write(1, 0, 1025, 8));
  EXPECT_EQ(kInval, call("fd_read", {u32(0), u32(0), u32(0xffffffff), u32(8)}));
  // 1024 (IOV_MAX) is allowed: zero-length iovecs of a zeroed page.
  EXPECT_EQ(kSuccess, fd_write(1, 16384, 1024, 8));
  EXPECT_EQ(0u, read_le(*ctx_, 8, 4));
}

TEST_F(WasiCallsTest, MaximalIovecsAreWrittenInFull) {
  // 1024 iovecs each covering the whole page but the last 4 bytes: 64 MiB
  // from one call, copied in bounded pieces, the newest 1 MiB kept.
  std::vector<std::pair<uint32_t, uint32_t>> many(
      1024, {0, static_cast<uint32_t>(kPage - 4)});
  iovecs(0, many);
  const uint64_t total = 1024 * (kPage - 4);
  EXPECT_EQ(kSuccess, fd_write(1, 0, 1024, kPage - 4));
  EXPECT_EQ(total, read_le(*ctx_, kPage - 4, 4));
  EXPECT_EQ(total - WasiOptions::kDefaultOutputLimit,
            wasi_->dropped_bytes(Stream::out));
  EXPECT_EQ(WasiOptions::kDefaultOutputLimit,
            wasi_->take_output(Stream::out).size());
}

TEST_F(WasiCallsTest, OnlyStdoutAndStderrAreWritable) {
  iovecs(16, {{100, 1}});
  EXPECT_EQ(kBadf, fd_write(0, 16, 1, 8));
  EXPECT_EQ(kBadf, fd_write(3, 16, 1, 8));
  EXPECT_EQ(kBadf, fd_write(0x80000000, 16, 1, 8));
  EXPECT_EQ(kBadf, call("fd_read", {u32(1), u32(16), u32(1), u32(8)}));
  EXPECT_EQ(kBadf, call("fd_read", {u32(7), u32(16), u32(1), u32(8)}));
}

TEST_F(WasiCallsTest, FdReadScattersStdinThenSeesEndOfFile) {
  WasiOptions options;
  options.stdin_data = "hello world";
  make(options);
  iovecs(16, {{200, 5}, {300, 100}});
  EXPECT_EQ(kSuccess, call("fd_read", {u32(0), u32(16), u32(2), u32(8)}));
  EXPECT_EQ(11u, read_le(*ctx_, 8, 4));
  EXPECT_EQ("hello", peek(*ctx_, 200, 5));
  EXPECT_EQ(std::string(" world\0", 7), peek(*ctx_, 300, 7));
  EXPECT_EQ(kSuccess, call("fd_read", {u32(0), u32(16), u32(2), u32(8)}));
  EXPECT_EQ(0u, read_le(*ctx_, 8, 4));
}

TEST_F(WasiCallsTest, FloodKeepsTheNewestBytesAndCountsTheDropped) {
  WasiOptions options;
  options.output_limit = 1000;
  make(options);
  std::string written;
  iovecs(16, {{100, 300}});
  for (char c = 'A'; c < 'K'; ++c) {
    poke(*ctx_, 100, std::string(299, c) + "\n");
    EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8));
    EXPECT_EQ(300u, read_le(*ctx_, 8, 4)) << "all reported written";
    written += std::string(299, c) + "\n";
  }
  EXPECT_EQ(2000u, wasi_->dropped_bytes(Stream::out));
  EXPECT_EQ(written.substr(2000), wasi_->take_output(Stream::out));
  // A flood from inside the guest: 10,000 writes of 300 bytes.
  EXPECT_EQ(kSuccess, call("flood", {u32(16), u32(10000)}));
  EXPECT_EQ(2000u + 3000000u - 1000u, wasi_->dropped_bytes(Stream::out));
  std::string kept = wasi_->take_output(Stream::out);
  EXPECT_EQ((std::string(299, 'J') + "\n").substr(200) + std::string(299, 'J') +
                "\n" + std::string(299, 'J') + "\n" + std::string(299, 'J') +
                "\n",
            kept);
}

TEST_F(WasiCallsTest, StdioIsAPipe) {
  // fdstat of stdout: filetype unknown, no flags, write-side rights.
  poke(*ctx_, 64, std::string(24, '\xff'));
  EXPECT_EQ(kSuccess, call("fd_fdstat_get", {u32(1), u32(64)}));
  EXPECT_EQ(std::string(8, '\0') +
                le64((1u << 6) | (1u << 3) | (1u << 21) | (1u << 27)) +
                std::string(8, '\0'),
            peek(*ctx_, 64, 24));
  EXPECT_EQ(kSuccess, call("fd_fdstat_get", {u32(0), u32(64)}));
  EXPECT_EQ(le64((1u << 1) | (1u << 3) | (1u << 21) | (1u << 27)),
            peek(*ctx_, 72, 8));
  EXPECT_EQ(kSuccess, call("fd_fdstat_set_flags", {u32(1), u32(1)}));
  EXPECT_EQ(kSuccess, call("fd_fdstat_get", {u32(1), u32(64)}));
  EXPECT_EQ(1u, read_le(*ctx_, 66, 2));
  EXPECT_EQ(kInval, call("fd_fdstat_set_flags", {u32(1), u32(0x20)}));
  EXPECT_EQ(kFault, call("fd_fdstat_get", {u32(1), u32(kPage - 8)}));
  poke(*ctx_, 128, std::string(64, '\xff'));
  EXPECT_EQ(kSuccess, call("fd_filestat_get", {u32(2), u32(128)}));
  EXPECT_EQ(std::string(64, '\0'), peek(*ctx_, 128, 64));
  EXPECT_EQ(kSpipe, call("fd_seek", {u32(1), u64(0), u32(0), u32(8)}));
  EXPECT_EQ(kSpipe, call("fd_tell", {u32(0), u32(8)}));
  EXPECT_EQ(kSpipe,
            call("fd_pread", {u32(0), u32(16), u32(1), u64(0), u32(8)}));
  EXPECT_EQ(kNotdir,
            call("fd_readdir", {u32(1), u32(16), u32(8), u64(0), u32(8)}));
  EXPECT_EQ(kNotsup, call("fd_renumber", {u32(1), u32(2)}));
  EXPECT_EQ(kNotsock,
            call("sock_send", {u32(1), u32(16), u32(1), u32(0), u32(8)}));
}

TEST_F(WasiCallsTest, OtherFdsAreEbadf) {
  EXPECT_EQ(kBadf, call("fd_fdstat_get", {u32(3), u32(64)}));
  EXPECT_EQ(kBadf, call("fd_filestat_get", {u32(9), u32(64)}));
  EXPECT_EQ(kBadf, call("fd_seek", {u32(3), u64(0), u32(0), u32(8)}));
  EXPECT_EQ(kBadf, call("fd_renumber", {u32(1), u32(9)}));
  EXPECT_EQ(kBadf, call("fd_close", {u32(3)}));
  EXPECT_EQ(kBadf,
            call("sock_send", {u32(4), u32(16), u32(1), u32(0), u32(8)}));
}

TEST_F(WasiCallsTest, NoPreopensAndNoPaths) {
  for (uint32_t fd : {0u, 1u, 3u, 4u})
    EXPECT_EQ(kBadf, call("fd_prestat_get", {u32(fd), u32(64)})) << fd;
  EXPECT_EQ(kBadf, call("fd_prestat_dir_name", {u32(3), u32(64), u32(8)}));
  poke(*ctx_, 200, "etc/passwd");
  std::vector<wasm_val_t> open_args = {u32(3),  u32(0), u32(200),
                                       u32(10), u32(0), u64(0),
                                       u64(0),  u32(0), u32(8)};
  EXPECT_EQ(kBadf, call("path_open", open_args));
  open_args[0] = u32(1);
  EXPECT_EQ(kNotcapable, call("path_open", open_args));
  // path_symlink's directory fd is its third argument.
  EXPECT_EQ(kBadf,
            call("path_symlink", {u32(200), u32(3), u32(5), u32(200), u32(3)}));
  EXPECT_EQ(kNotcapable,
            call("path_symlink", {u32(200), u32(3), u32(2), u32(200), u32(3)}));
}

TEST_F(WasiCallsTest, ClosedStdioIsGone) {
  iovecs(16, {{100, 1}});
  EXPECT_EQ(kSuccess, call("fd_close", {u32(2)}));
  EXPECT_EQ(kBadf, fd_write(2, 16, 1, 8));
  EXPECT_EQ(kBadf, call("fd_close", {u32(2)}));
  EXPECT_EQ(kBadf, call("fd_fdstat_get", {u32(2), u32(64)}));
  EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8)) << "stdout is still open";
}

TEST_F(WasiCallsTest, ArgsAndEnvironLayout) {
  WasiOptions options;
  options.args = {"prog", "", "xy"};
  options.env = {{"A", "1"}};
  make(options);
  EXPECT_EQ(kSuccess, call("args_sizes_get", {u32(8), u32(12)}));
  EXPECT_EQ(3u, read_le(*ctx_, 8, 4));
  EXPECT_EQ(9u, read_le(*ctx_, 12, 4));
  EXPECT_EQ(kSuccess, call("args_get", {u32(64), u32(256)}));
  EXPECT_EQ(le32(256) + le32(261) + le32(262), peek(*ctx_, 64, 12));
  EXPECT_EQ(std::string("prog\0\0xy\0", 9), peek(*ctx_, 256, 9));
  EXPECT_EQ(kSuccess, call("environ_sizes_get", {u32(8), u32(12)}));
  EXPECT_EQ(1u, read_le(*ctx_, 8, 4));
  EXPECT_EQ(4u, read_le(*ctx_, 12, 4));
  EXPECT_EQ(kSuccess, call("environ_get", {u32(64), u32(512)}));
  EXPECT_EQ(le32(512), peek(*ctx_, 64, 4));
  EXPECT_EQ(std::string("A=1\0", 4), peek(*ctx_, 512, 4));
  // Either region out of bounds: EFAULT, nothing written.
  poke(*ctx_, 1024, std::string(16, 'z'));
  EXPECT_EQ(kFault, call("args_get", {u32(1024), u32(kPage - 8)}));
  EXPECT_EQ(kFault, call("args_get", {u32(kPage - 8), u32(1024)}));
  EXPECT_EQ(std::string(16, 'z'), peek(*ctx_, 1024, 16));
  EXPECT_EQ(kFault, call("args_sizes_get", {u32(8), u32(kPage)}));
}

TEST_F(WasiCallsTest, ClocksAndTheirErrors) {
  for (uint32_t clock : {0u, 1u, 2u, 3u}) {
    poke(*ctx_, 8, le64(0));
    EXPECT_EQ(kSuccess, call("clock_time_get", {u32(clock), u64(1), u32(8)}));
    EXPECT_NE(0u, read_le(*ctx_, 8, 8)) << "clock " << clock;
    EXPECT_EQ(kSuccess, call("clock_res_get", {u32(clock), u32(8)}));
    EXPECT_GT(read_le(*ctx_, 8, 8), 0u);
  }
  EXPECT_EQ(kInval, call("clock_time_get", {u32(4), u64(1), u32(8)}));
  EXPECT_EQ(kInval, call("clock_res_get", {u32(99), u32(8)}));
  EXPECT_EQ(kFault, call("clock_time_get", {u32(0), u64(1), u32(kPage - 7)}));
}

TEST_F(WasiCallsTest, RandomGetIsBoundsChecked) {
  EXPECT_EQ(kFault, call("random_get", {u32(kPage - 8), u32(9)}));
  EXPECT_EQ(kFault, call("random_get", {u32(0xffffffff), u32(2)}));
  EXPECT_EQ(kSuccess, call("random_get", {u32(kPage), u32(0)}));
  WasiOptions options;
  options.deterministic = true;
  options.seed = 0;
  make(options);
  EXPECT_EQ(kSuccess, call("random_get", {u32(kPage - 8), u32(8)}));
  EXPECT_EQ(le64(0xe220a8397b1dcdafULL), peek(*ctx_, kPage - 8, 8));
}

TEST_F(WasiCallsTest, PollWaitsForAClockAndReportsStdio) {
  WasiOptions options;
  options.stdin_data = "xyz";
  make(options);
  EXPECT_EQ(kInval, call("poll_oneoff", {u32(0), u32(512), u32(0), u32(8)}));
  // A relative 20 ms monotonic timer, userdata 0x1122334455667788.
  std::string sub = le64(0x1122334455667788ULL) + std::string(8, '\0') +
                    le32(1) + le32(0) + le64(20000000) + le64(0) +
                    std::string(8, '\0');
  poke(*ctx_, 256, sub);
  poke(*ctx_, 512, std::string(32, '\xff'));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(kSuccess,
            call("poll_oneoff", {u32(256), u32(512), u32(1), u32(8)}));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(20));
  EXPECT_EQ(1u, read_le(*ctx_, 8, 4));
  EXPECT_EQ(le64(0x1122334455667788ULL) + std::string(24, '\0'),
            peek(*ctx_, 512, 32));
  // With stdin readable beside a one-hour timer: no wait, one event.
  std::string read_sub = le64(7) + std::string(1, '\1') + std::string(7, '\0') +
                         le32(0) + std::string(28, '\0');
  std::string long_timer = sub;
  long_timer.replace(24, 8, le64(3600ULL * 1000000000ULL));
  poke(*ctx_, 256, read_sub + long_timer);
  EXPECT_EQ(kSuccess,
            call("poll_oneoff", {u32(256), u32(512), u32(2), u32(8)}));
  EXPECT_EQ(1u, read_le(*ctx_, 8, 4));
  EXPECT_EQ(7u, read_le(*ctx_, 512, 8));
  EXPECT_EQ(0u, read_le(*ctx_, 520, 2)) << "no error";
  EXPECT_EQ(1u, read_le(*ctx_, 522, 1)) << "fd_read";
  EXPECT_EQ(3u, read_le(*ctx_, 528, 8)) << "bytes available";
  // Out of bounds event array: EFAULT.
  EXPECT_EQ(kFault,
            call("poll_oneoff", {u32(256), u32(kPage - 16), u32(1), u32(8)}));
}

// A 48-byte subscription: userdata, tag, then a clock id or fd at 16.
std::string subscription(uint64_t userdata, uint8_t tag, uint32_t field) {
  return le64(userdata) + std::string(1, static_cast<char>(tag)) +
         std::string(7, '\0') + le32(field) + std::string(28, '\0');
}

TEST_F(WasiCallsTest, PollAnswersBadSubscriptionsWithEventErrors) {
  // CPU-time clock (ENOTSUP), unknown clock (EINVAL), fd_write on stdout
  // (ready), fd_write on stdin and fd_read on fd 9 (EBADF): all at once.
  poke(*ctx_, 256,
       subscription(1, 0, 2) + subscription(2, 0, 77) + subscription(3, 2, 1) +
           subscription(4, 2, 0) + subscription(5, 1, 9));
  poke(*ctx_, 1024, std::string(5 * 32, '\xff'));
  EXPECT_EQ(kSuccess,
            call("poll_oneoff", {u32(256), u32(1024), u32(5), u32(8)}));
  ASSERT_EQ(5u, read_le(*ctx_, 8, 4));
  const uint64_t errors[] = {kNotsup, kInval, kSuccess, kBadf, kBadf};
  const uint64_t types[] = {0, 0, 2, 2, 1};
  for (uint64_t i = 0; i < 5; ++i) {
    uint64_t at = 1024 + 32 * i;
    EXPECT_EQ(i + 1, read_le(*ctx_, at, 8)) << "userdata of event " << i;
    EXPECT_EQ(errors[i], read_le(*ctx_, at + 8, 2)) << "error of event " << i;
    EXPECT_EQ(types[i], read_le(*ctx_, at + 10, 1)) << "type of event " << i;
  }
  // An unknown tag fails the whole call.
  poke(*ctx_, 256, subscription(1, 3, 0));
  EXPECT_EQ(kInval, call("poll_oneoff", {u32(256), u32(1024), u32(1), u32(8)}));
  EXPECT_EQ(kInval,
            call("poll_oneoff", {u32(256), u32(1024), u32(4097), u32(8)}));
}

TEST_F(WasiCallsTest, ProcExitTrapsAndTheInstanceGoesOn) {
  std::vector<wasm_val_t> results;
  Status status = ctx_->call("proc_exit", {u32(3)}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "proc_exit(3)"))
      << status.error().message;
  ASSERT_TRUE(wasi_->exit_code());
  EXPECT_EQ(3u, *wasi_->exit_code());
  EXPECT_EQ(State::trapped, ctx_->state());
  poke(*ctx_, 100, "after");
  iovecs(16, {{100, 5}});
  EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8));
  EXPECT_EQ("after", wasi_->take_output(Stream::out));
}

TEST_F(WasiCallsTest, UnimplementableCallsSayWhy) {
  EXPECT_EQ(kNosys, call("proc_raise", {u32(6)}));
  EXPECT_EQ(kSuccess, call("sched_yield", {}));
}

TEST_F(WasiCallsTest, CoversOnlyPreview1FunctionsWithTheirSignature) {
  ExternDesc write{
      ExternKind::func, "wasi_snapshot_preview1", "fd_write", "",
      FuncSig{{ValType::i32, ValType::i32, ValType::i32, ValType::i32},
              {ValType::i32}}};
  EXPECT_TRUE(wasi_->covers(write));
  ExternDesc write64 = write;
  write64.func.params = {ValType::i32, ValType::i64, ValType::i64,
                         ValType::i64};
  EXPECT_TRUE(wasi_->covers(write64));
  ExternDesc mixed = write;
  mixed.func.params[1] = ValType::i64; // half wasm32, half wasm64
  EXPECT_FALSE(wasi_->covers(mixed));
  ExternDesc no_result = write;
  no_result.func.results.clear();
  EXPECT_FALSE(wasi_->covers(no_result));
  ExternDesc other_module = write;
  other_module.module = "wasi_unstable";
  EXPECT_FALSE(wasi_->covers(other_module));
  ExternDesc unknown = write;
  unknown.name = "fd_write_all";
  EXPECT_FALSE(wasi_->covers(unknown));
  ExternDesc global = write;
  global.kind = ExternKind::global;
  EXPECT_FALSE(wasi_->covers(global));
  wasm_val_t result{};
  Status refused = wasi_->answer(*ctx_, mixed, nullptr, &result);
  ASSERT_FALSE(refused);
  EXPECT_EQ(ErrorKind::invalid_argument, refused.error().kind);
}

TEST_F(WasiCallsTest, AnswerServesACallDirectly) {
  // As a driver answering a suspended import would: no binding involved.
  poke(*ctx_, 100, "direct");
  iovecs(16, {{100, 6}});
  const ExternDesc *import = nullptr;
  for (const ExternDesc &desc : ctx_->imports())
    if (desc.name == "fd_write")
      import = &desc;
  ASSERT_NE(nullptr, import);
  wasm_val_t args[4] = {u32(2), u32(16), u32(1), u32(8)};
  wasm_val_t result{};
  ASSERT_TRUE(wasi_->answer(*ctx_, *import, args, &result));
  EXPECT_EQ(WASM_I32, result.kind);
  EXPECT_EQ(kSuccess, result.of.i32);
  EXPECT_EQ("direct", wasi_->take_output(Stream::err));
}

TEST_F(WasiCallsTest, BindingsSurviveMovingTheProvider) {
  Wasi moved = std::move(*wasi_);
  poke(*ctx_, 100, "moved");
  iovecs(16, {{100, 5}});
  EXPECT_EQ(kSuccess, fd_write(1, 16, 1, 8));
  EXPECT_EQ("moved", moved.take_output(Stream::out));
}

// wasm64: pointers and sizes are i64, iovecs {u64, u64}.
class Wasi64Test : public RuntimeTest {
protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    HB_BEAMR_REQUIRE(Feature::memory64);
    WasiOptions options;
    options.args = {"sixty", "four"};
    options.stdin_data = "input64";
    options.deterministic = true;
    wasi_ = std::make_unique<Wasi>(std::move(options));
    ctx_ = with_wasi("wasi_calls64", *wasi_);
    ASSERT_TRUE(ctx_);
  }
  void TearDown() override {
    ctx_.reset();
    RuntimeTest::TearDown();
  }
  int32_t call(const char *name, const std::vector<wasm_val_t> &args) {
    return call_errno(*ctx_, name, args);
  }

  std::unique_ptr<Wasi> wasi_;
  std::unique_ptr<Context> ctx_;
};

TEST_F(Wasi64Test, FdWriteReadsSixteenByteIovecs) {
  poke(*ctx_, 1000, "wide ");
  poke(*ctx_, 2000, "iovecs\n");
  poke(*ctx_, 64, le64(1000) + le64(5) + le64(2000) + le64(7));
  poke(*ctx_, 8, std::string(8, '\xff'));
  EXPECT_EQ(kSuccess, call("fd_write", {u32(1), u64(64), u64(2), u64(8)}));
  EXPECT_EQ(std::string("\x0c\0\0\0\0\0\0\0", 8), peek(*ctx_, 8, 8))
      << "nwritten is a full u64";
  EXPECT_EQ("wide iovecs\n", wasi_->take_output(Stream::out));
}

TEST_F(Wasi64Test, PointersAreNotTruncatedTo32Bits) {
  poke(*ctx_, 16, "bad");
  // 2^32 + 16 would alias offset 16 if truncated.
  const uint64_t far = (uint64_t{1} << 32) + 16;
  poke(*ctx_, 64, le64(far) + le64(3));
  EXPECT_EQ(kFault, call("fd_write", {u32(1), u64(64), u64(1), u64(8)}));
  EXPECT_EQ(kFault, call("fd_write", {u32(1), u64(far), u64(1), u64(8)}));
  EXPECT_EQ(kInval, call("fd_write",
                         {u32(1), u64(64), u64(uint64_t{1} << 32), u64(8)}));
  EXPECT_EQ(kFault, call("random_get", {u64(far), u64(1)}));
  EXPECT_EQ("", wasi_->take_output(Stream::out));
}

TEST_F(Wasi64Test, FdReadArgsAndRandomUseWideWords) {
  poke(*ctx_, 64, le64(3000) + le64(100));
  EXPECT_EQ(kSuccess, call("fd_read", {u32(0), u64(64), u64(1), u64(8)}));
  EXPECT_EQ(7u, read_le(*ctx_, 8, 8));
  EXPECT_EQ("input64", peek(*ctx_, 3000, 7));
  EXPECT_EQ(kSuccess, call("args_sizes_get", {u64(8), u64(16)}));
  EXPECT_EQ(2u, read_le(*ctx_, 8, 8));
  EXPECT_EQ(11u, read_le(*ctx_, 16, 8));
  EXPECT_EQ(kSuccess, call("args_get", {u64(128), u64(4096)}));
  EXPECT_EQ(le64(4096) + le64(4102), peek(*ctx_, 128, 16));
  EXPECT_EQ(std::string("sixty\0four\0", 11), peek(*ctx_, 4096, 11));
  EXPECT_EQ(kSuccess, call("random_get", {u64(200), u64(8)}));
  EXPECT_EQ(le64(0xe220a8397b1dcdafULL), peek(*ctx_, 200, 8));
  EXPECT_EQ(kSuccess, call("clock_time_get", {u32(0), u64(1), u64(300)}));
  EXPECT_GT(read_le(*ctx_, 300, 8), uint64_t{1600000000} * 1000000000u);
}

} // namespace
} // namespace hb_beamr::test
