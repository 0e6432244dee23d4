// No thread can be created (a process thread limit): a call that needs the
// watchdog (a time limit) or the slice ticker (a time slice) fails with an
// error instead of aborting the process or hanging, and works again once
// threads can be made (issue 13, item 2).
//
// This executable defines pthread_create itself, so std::thread in the
// library and Rust's threads in Wasmtime reach this definition first; it
// refuses while `refuse_threads` is set and otherwise passes the call on to
// the C library. Threads are refused only after instantiation, since a
// first compile may start Wasmtime's compiler threads. Each test runs in a
// process of its own (gtest_discover_tests), so the watchdog and ticker
// threads never exist before a test refuses them.
#include <atomic>
#include <cerrno>
#include <chrono>

#include <dlfcn.h>
#include <pthread.h>

#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace {
std::atomic<bool> refuse_threads{false};
} // namespace

extern "C" int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                              void *(*start)(void *), void *arg) {
  using Create =
      int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
  static const auto real =
      reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  if (refuse_threads.load() || real == nullptr)
    return EAGAIN;
  return real(thread, attr, start, arg);
}

namespace {

using hb_beamr::CallProgress;
using hb_beamr::Context;
using hb_beamr::ErrorKind;
using hb_beamr::Result;
using hb_beamr::Status;

/// Refuses every new thread while it lives.
struct NoThreads {
  NoThreads() { refuse_threads = true; }
  ~NoThreads() { refuse_threads = false; }
  NoThreads(const NoThreads &) = delete;
  NoThreads &operator=(const NoThreads &) = delete;
};

class ThreadLimitTest : public hb_beamr::test::RuntimeTest {
protected:
  std::unique_ptr<Context> make(bool suspending) {
    const auto bytes = hb_beamr::test::read_fixture("loop");
    auto ctx = Context::create();
    if (!ctx->load(bytes.data(), bytes.size()).ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    Status made = suspending
                      ? ctx->instantiate_suspending()
                      : ctx->instantiate([](auto &) { return Status{}; }, {});
    if (!made.ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }
};

TEST_F(ThreadLimitTest, CallWithTimeLimitFailsWhenNoWatchdogThread) {
  auto ctx = make(false);
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(50);
  std::vector<wasm_val_t> results;
  {
    NoThreads none;
    // spin() never returns: without the refusal this would hang forever.
    Status spun = ctx->call("spin", {}, results);
    ASSERT_FALSE(spun.ok());
    EXPECT_EQ(ErrorKind::allocation, spun.error().kind);
    EXPECT_NE(std::string::npos, spun.error().message.find("watchdog"))
        << spun.error().message;
  }
  // Threads are back: the same context keeps its time limit.
  Status again = ctx->call("spin", {}, results);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(ErrorKind::timeout, again.error().kind) << again.error().message;
  ASSERT_TRUE(ctx->call("count", {WASM_I32_VAL(5)}, results).ok())
      << ctx->last_error();
  EXPECT_EQ(5, results.at(0).of.i32);
}

TEST_F(ThreadLimitTest, SlicedCallFailsCleanlyWhenNoTickerThread) {
  if (!hb_beamr::test::engine_supports(hb_beamr::test::Feature::suspend))
    GTEST_SKIP() << hb_beamr::test::missing_reason(
        hb_beamr::test::Feature::suspend);
  auto ctx = make(true);
  ASSERT_TRUE(ctx);
  const auto slice = std::chrono::microseconds(1000);
  {
    NoThreads none;
    Result<CallProgress> started =
        ctx->start_call("count", {WASM_I32_VAL(5)}, slice);
    // Wasmtime's slices end by a ticker thread; an engine that needs no
    // thread for slices may simply run the call.
    if (std::string(hb_beamr_capi_lib_engine_name()) == "wasmtime") {
      EXPECT_FALSE(started.ok());
    }
    if (!started.ok()) {
      EXPECT_EQ(ErrorKind::allocation, started.error().kind)
          << started.error().message;
      EXPECT_EQ(0u, ctx->suspended_calls());
    }
  }
  Result<CallProgress> started =
      ctx->start_call("count", {WASM_I32_VAL(7)}, slice);
  ASSERT_TRUE(started.ok()) << ctx->last_error();
  while (started.ok() && started.value() == CallProgress::yielded)
    started = ctx->resume(slice);
  ASSERT_TRUE(started.ok()) << ctx->last_error();
  EXPECT_EQ(CallProgress::finished, started.value());
}

} // namespace
