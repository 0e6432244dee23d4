// Stopping running WebAssembly: interrupt() from another thread, call time
// limits, and a start function that never returns. Bounds are generous: the
// point is that the call ends at all, and the instance stays usable.
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace {

using hb_beamr::Context;
using hb_beamr::ErrorKind;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class InterruptTest : public hb_beamr::test::RuntimeTest {
protected:
  std::unique_ptr<Context> make(const char *name,
                                hb_beamr::HostFunction host = nullptr) {
    const auto bytes = hb_beamr::test::read_fixture(name);
    auto ctx = Context::create();
    if (!ctx->load(bytes.data(), bytes.size()).ok() ||
        !ctx->instantiate(std::move(host), {}).ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }

  static void expect_usable(Context &ctx) {
    std::vector<wasm_val_t> results;
    ASSERT_TRUE(ctx.call("count", {WASM_I32_VAL(10)}, results).ok())
        << ctx.last_error();
    EXPECT_EQ(results.at(0).of.i32, 10);
  }
};

TEST_F(InterruptTest, InterruptStopsAnInfiniteLoopFromAnotherThread) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  auto running = std::async(std::launch::async, [&] {
    std::vector<wasm_val_t> results;
    return ctx->call("spin", {}, results);
  });
  // Give the loop time to start; interrupting earlier is fine too (the call
  // then fails before running), so this is not a timing assumption.
  std::this_thread::sleep_for(50ms);
  ctx->interrupt();
  ASSERT_EQ(running.wait_for(10s), std::future_status::ready)
      << "interrupt() did not stop the loop";
  hb_beamr::Status s = running.get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::interrupted) << s.error().message;
  EXPECT_EQ(ctx->state(), hb_beamr::State::trapped);
  expect_usable(*ctx);
}

TEST_F(InterruptTest, InterruptBetweenCallsStopsTheNextOneOnly) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  ctx->interrupt();
  std::vector<wasm_val_t> results;
  hb_beamr::Status s = ctx->call("count", {WASM_I32_VAL(5)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::interrupted);
  expect_usable(*ctx);
}

TEST_F(InterruptTest, OnlyTheInterruptedContextStops) {
  auto victim = make("loop");
  auto bystander = make("loop");
  ASSERT_TRUE(victim && bystander);
  auto spinning = std::async(std::launch::async, [&] {
    std::vector<wasm_val_t> results;
    return victim->call("spin", {}, results);
  });
  auto counting = std::async(std::launch::async, [&] {
    std::vector<wasm_val_t> results;
    return bystander->call("count", {WASM_I32_VAL(200000000)}, results);
  });
  std::this_thread::sleep_for(20ms);
  victim->interrupt();
  ASSERT_EQ(spinning.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(spinning.get().error().kind, ErrorKind::interrupted);
  ASSERT_EQ(counting.wait_for(60s), std::future_status::ready);
  EXPECT_TRUE(counting.get().ok()) << bystander->last_error();
}

TEST_F(InterruptTest, TimeoutStopsACallPastItsLimit) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(100);
  const auto start = Clock::now();
  std::vector<wasm_val_t> results;
  hb_beamr::Status s = ctx->call("spin", {}, results);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 5s); // generous: the machine may be busy
  // Short calls are unaffected, and the limit applies again next time.
  expect_usable(*ctx);
  EXPECT_EQ(ctx->call("spin", {}, results).error().kind, ErrorKind::timeout);
  ctx->set_call_timeout(0);
  expect_usable(*ctx);
}

TEST_F(InterruptTest, TimeoutCoversNestedCalls) {
  // The host function re-enters the context and spins there: the outer
  // call's limit ends the nested call, and with it the outer one.
  auto ctx = make("nested_spin", [](hb_beamr::HostCall &call) {
    std::vector<wasm_val_t> ignored;
    return call.context.call("spin", {}, ignored);
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(100);
  std::vector<wasm_val_t> results;
  hb_beamr::Status s = ctx->call("outer", {}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
  EXPECT_EQ(ctx->state(), hb_beamr::State::trapped);
}

TEST_F(InterruptTest, InterruptEndsAStartFunctionThatNeverReturns) {
  const auto bytes = hb_beamr::test::read_fixture("start_spin");
  auto ctx = Context::create();
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()).ok()) << ctx->last_error();
  auto instantiating = std::async(
      std::launch::async, [&] { return ctx->instantiate(nullptr, {}); });
  std::this_thread::sleep_for(50ms);
  ctx->interrupt();
  ASSERT_EQ(instantiating.wait_for(10s), std::future_status::ready)
      << "interrupt() did not stop the start function";
  hb_beamr::Status s = instantiating.get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::interrupted) << s.error().message;
  EXPECT_EQ(ctx->state(), hb_beamr::State::module_loaded);
}

TEST_F(InterruptTest, CFacadeInterruptAndTimeout) {
  auto ctx = instantiated("loop");
  ASSERT_TRUE(ctx);
  ASSERT_EQ(hb_beamr_capi_lib_set_call_timeout(ctx.get(), 50),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(hb_beamr::test::call(ctx.get(), "spin", {}, results, 0),
            HB_BEAMR_CAPI_LIB_ERROR_TIMEOUT);
  ASSERT_EQ(hb_beamr_capi_lib_set_call_timeout(ctx.get(), 0),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  hb_beamr_capi_lib_interrupt(ctx.get());
  EXPECT_EQ(hb_beamr::test::call(ctx.get(), "spin", {}, results, 0),
            HB_BEAMR_CAPI_LIB_ERROR_INTERRUPTED);
  EXPECT_EQ(std::string(
                hb_beamr_capi_lib_rc_name(HB_BEAMR_CAPI_LIB_ERROR_INTERRUPTED)),
            "INTERRUPTED");
  EXPECT_EQ(hb_beamr_capi_lib_set_call_timeout(nullptr, 1),
            HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT);
}

} // namespace
