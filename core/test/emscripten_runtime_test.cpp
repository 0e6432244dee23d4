// The emscripten provider's runtime imports on both paths: time structs and
// strftime (hostile pointers included), heap growth within the memory's
// maximum, memcpy, clocks, system, tempRet0, abort, and syscalls answered
// as a process without files. Bad pointers trap; nothing crashes the host.
#include <cstdint>
#include <string>
#include <vector>

#include "emscripten_test_support.hpp"
#include "wasi_test_support.hpp"

namespace hb_beamr::test {
namespace {

constexpr uint32_t kTm = 256;
constexpr uint32_t kFormat = 512;
constexpr uint32_t kOut = 1024;
constexpr uint32_t kPage = 65536;
// 2023-11-14 22:13:20 UTC, a Tuesday, day 317 of its year.
constexpr int64_t kTime = 1700000000;

class EmscriptenRuntimeTest : public EmscriptenTest {
protected:
  void SetUp() override {
    EmscriptenTest::SetUp();
    if (IsSkipped())
      return;
    guest_ = std::make_unique<EmscriptenGuest>(GetParam(), "emsc_runtime");
    ASSERT_TRUE(guest_->ready());
  }
  void TearDown() override {
    guest_.reset();
    EmscriptenTest::TearDown();
  }

  Context &ctx() { return guest_->context(); }
  int32_t tm_field(size_t i) {
    return static_cast<int32_t>(read_le(ctx(), kTm + 4 * i, 4));
  }
  Status call_void(const std::string &name,
                   const std::vector<wasm_val_t> &args) {
    Result<std::vector<wasm_val_t>> r = guest_->call(name, args);
    if (!r)
      return r.error();
    return {};
  }

  std::unique_ptr<EmscriptenGuest> guest_;
};

TEST_P(EmscriptenRuntimeTest, CoversEveryImportOfTheFixture) {
  for (const ExternDesc &import : ctx().imports())
    EXPECT_TRUE(guest_->emscripten().covers(import)) << import.name;
}

TEST_P(EmscriptenRuntimeTest, GmtimeFillsTheStruct) {
  ASSERT_TRUE(call_void("gmtime", {i64_val(kTime), i32_val(kTm)}));
  const int32_t want[] = {20, 13, 22, 14, 10, 123, 2, 317, 0};
  for (size_t i = 0; i < 9; ++i)
    EXPECT_EQ(want[i], tm_field(i)) << "field " << i;
  ASSERT_TRUE(call_void("localtime", {i64_val(0), i32_val(kTm)}));
  EXPECT_EQ(70, tm_field(5)) << "localtime is UTC";
  EXPECT_EQ(4, tm_field(6)) << "1970-01-01 was a Thursday";
}

TEST_P(EmscriptenRuntimeTest, MktimeNormalizesAndReturnsTheTime) {
  ASSERT_TRUE(call_void("gmtime", {i64_val(kTime), i32_val(kTm)}));
  poke(ctx(), kTm + 24, le32(0)); // wrong weekday, mktime recomputes it
  Result<std::vector<wasm_val_t>> r = guest_->call("mktime", {i32_val(kTm)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(kTime, r.value()[0].of.i64);
  EXPECT_EQ(2, tm_field(6));
}

TEST_P(EmscriptenRuntimeTest, StrftimeFormatsInUtc) {
  ASSERT_TRUE(call_void("gmtime", {i64_val(kTime), i32_val(kTm)}));
  poke(ctx(), kFormat, std::string("%Y-%m-%d %H:%M:%S %Z %a %b", 27));
  int32_t n = guest_->call_i32(
      "strftime", {i32_val(kOut), i32_val(64), i32_val(kFormat), i32_val(kTm)});
  const std::string want = "2023-11-14 22:13:20 UTC Tue Nov";
  EXPECT_EQ(static_cast<int32_t>(want.size()), n);
  EXPECT_EQ(want + '\0', peek(ctx(), kOut, want.size() + 1));
  // Too small a buffer: 0, as libc says.
  EXPECT_EQ(0, guest_->call_i32("strftime", {i32_val(kOut), i32_val(5),
                                             i32_val(kFormat), i32_val(kTm)}));
}

TEST_P(EmscriptenRuntimeTest, TzsetIsUtc) {
  poke(ctx(), 100, std::string(16, '\x7f'));
  ASSERT_TRUE(call_void(
      "tzset", {i32_val(100), i32_val(104), i32_val(108), i32_val(112)}));
  EXPECT_EQ(0u, read_le(ctx(), 100, 8));
  EXPECT_EQ(std::string("UTC\0", 4), peek(ctx(), 108, 4));
}

TEST_P(EmscriptenRuntimeTest, HostilePointersTrapAndTheInstanceGoesOn) {
  const uint32_t last = 2 * kPage - 4;
  struct Case {
    const char *name;
    std::vector<wasm_val_t> args;
  } cases[] = {
      {"gmtime", {i64_val(kTime), i32_val(last)}},
      {"gmtime", {i64_val(kTime), i32_val(-1)}},
      {"mktime", {i32_val(-16)}},
      {"tzset", {i32_val(-2), i32_val(0), i32_val(0), i32_val(0)}},
      {"strftime", {i32_val(kOut), i32_val(64), i32_val(-1), i32_val(kTm)}},
      {"strftime", {i32_val(kOut), i32_val(64), i32_val(kFormat), i32_val(-8)}},
      {"strftime",
       {i32_val(last), i32_val(64), i32_val(kFormat), i32_val(kTm)}},
      {"memcpy", {i32_val(0), i32_val(last), i32_val(100)}},
      {"memcpy", {i32_val(-1), i32_val(0), i32_val(-1)}},
  };
  poke(ctx(), kFormat, std::string("a long enough format %Y\0", 24));
  for (const Case &c : cases) {
    Status status = call_void(c.name, c.args);
    ASSERT_FALSE(status) << c.name;
    EXPECT_EQ(ErrorKind::trap, status.error().kind);
    EXPECT_TRUE(contains(status.error().message, "out of bounds"))
        << c.name << ": " << status.error().message;
  }
  EXPECT_EQ(5, guest_->call_i32("temp_ret", {i32_val(5)}));
}

TEST_P(EmscriptenRuntimeTest, HostileTimeFieldsAndFormatsDoNotCrash) {
  // Every tm field at its extremes, and a format that runs to the end of
  // memory without a NUL.
  for (size_t i = 0; i < 9; ++i)
    poke(ctx(), kTm + 4 * i, le32(i % 2 ? 0x80000000u : 0x7fffffffu));
  poke(ctx(), kFormat, std::string("%a %A %b %B %c %p %j %U %Z %%\0", 30));
  int32_t n = guest_->call_i32("strftime", {i32_val(kOut), i32_val(256),
                                            i32_val(kFormat), i32_val(kTm)});
  EXPECT_GT(n, 0);
  Result<std::vector<wasm_val_t>> r = guest_->call("mktime", {i32_val(kTm)});
  ASSERT_TRUE(r) << r.error().message;
  const uint32_t tail = 2 * kPage - 8;
  poke(ctx(), tail, std::string(8, 'x'));
  Status status = call_void(
      "strftime", {i32_val(kOut), i32_val(64), i32_val(tail), i32_val(kTm)});
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.error().message, "format"))
      << status.error().message;
}

TEST_P(EmscriptenRuntimeTest, ResizeHeapGrowsWithinTheMaximum) {
  EXPECT_EQ(1, guest_->call_i32("resize_heap", {i32_val(kPage)}));
  EXPECT_EQ(1, guest_->call_i32("resize_heap", {i32_val(3 * kPage - 1)}));
  EXPECT_EQ(3u * kPage, ctx().memory_size().value());
  EXPECT_EQ(0, guest_->call_i32("resize_heap", {i32_val(5 * kPage)}));
  EXPECT_EQ(0, guest_->call_i32("resize_heap", {i32_val(-1)}));
  EXPECT_EQ(3u * kPage, ctx().memory_size().value());
  EXPECT_EQ(1, guest_->call_i32("resize_heap", {i32_val(4 * kPage)}));
}

TEST_P(EmscriptenRuntimeTest, MemcpyMovesOverlappingBytes) {
  poke(ctx(), 100, "abcdef");
  ASSERT_TRUE(call_void("memcpy", {i32_val(102), i32_val(100), i32_val(4)}));
  EXPECT_EQ("ababcd", peek(ctx(), 100, 6));
  // Overlapping copies larger than the host's piece size, both directions.
  const size_t n = 100000;
  std::string pattern(n + 100, '\0');
  for (size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = static_cast<char>(i % 251);
  poke(ctx(), 0, pattern);
  ASSERT_TRUE(call_void("memcpy", {i32_val(100), i32_val(0), i32_val(n)}));
  EXPECT_TRUE(peek(ctx(), 100, n) == pattern.substr(0, n)) << "backward";
  poke(ctx(), 0, pattern);
  ASSERT_TRUE(call_void("memcpy", {i32_val(0), i32_val(100), i32_val(n)}));
  EXPECT_TRUE(peek(ctx(), 0, n) == pattern.substr(100, n)) << "forward";
}

TEST_P(EmscriptenRuntimeTest, ClocksSystemAndTempRet) {
  Result<std::vector<wasm_val_t>> now = guest_->call("date_now", {});
  ASSERT_TRUE(now);
  EXPECT_GT(now.value()[0].of.f64, 1.6e12) << "milliseconds since 1970";
  Result<std::vector<wasm_val_t>> a = guest_->call("get_now", {});
  Result<std::vector<wasm_val_t>> b = guest_->call("get_now", {});
  ASSERT_TRUE(a && b);
  EXPECT_LE(a.value()[0].of.f64, b.value()[0].of.f64);
  EXPECT_EQ(1, guest_->call_i32("monotonic"));
  EXPECT_EQ(0, guest_->call_i32("system", {i32_val(0)})) << "no shell";
  EXPECT_EQ(-1, guest_->call_i32("system", {i32_val(100)}));
  EXPECT_EQ(-7, guest_->call_i32("temp_ret", {i32_val(-7)}));
  Status aborted = call_void("abort_js", {});
  ASSERT_FALSE(aborted);
  EXPECT_TRUE(contains(aborted.error().message, "Aborted()"));
}

TEST_P(EmscriptenRuntimeTest, SyscallsAnswerAsAProcessWithoutFiles) {
  EXPECT_EQ(-2, guest_->call_i32("openat")) << "ENOENT";
  EXPECT_EQ(-2, guest_->call_i32("rmdir")) << "ENOENT";
  EXPECT_EQ(-25, guest_->call_i32("ioctl", {i32_val(1)})) << "ENOTTY";
  EXPECT_EQ(-9, guest_->call_i32("ioctl", {i32_val(7)})) << "EBADF";
  EXPECT_EQ(1, guest_->call_i32("fcntl", {i32_val(1), i32_val(3)}))
      << "stdout is O_WRONLY";
  EXPECT_EQ(-9, guest_->call_i32("fcntl", {i32_val(9), i32_val(1)}));
  EXPECT_EQ(-24, guest_->call_i32("dup3", {i32_val(0)})) << "EMFILE";
  EXPECT_EQ(-38, guest_->call_i32("made_up")) << "ENOSYS";
}

INSTANTIATE_TEST_SUITE_P(BothPaths, EmscriptenRuntimeTest,
                         ::testing::Values(Path::bindings, Path::suspended),
                         path_name);

} // namespace
} // namespace hb_beamr::test
