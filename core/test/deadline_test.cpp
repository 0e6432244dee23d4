// The deadline of a top-level call (Context::set_call_timeout and
// call_deadline): fixed when the call starts, kept across imports, nested
// calls, slices and threads, and deciding that every late failure is a
// timeout. Limits are short and the sleeps well past them; nothing asserts
// how fast anything runs.
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace {

using hb_beamr::CallProgress;
using hb_beamr::Context;
using hb_beamr::ErrorKind;
using hb_beamr::HostCall;
using hb_beamr::HostFunction;
using hb_beamr::Status;
using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;
using namespace std::chrono_literals;

constexpr auto kSlice = std::chrono::microseconds(1000);

class DeadlineTest : public hb_beamr::test::RuntimeTest {
protected:
  // A context with fixture `name`, instantiated for blocking calls with
  // `host` answering every import, or for suspendable calls if `host` is
  // empty.
  std::unique_ptr<Context> make(const char *name, HostFunction host = {}) {
    const auto bytes = hb_beamr::test::read_fixture(name);
    auto ctx = Context::create();
    if (!ctx->load(bytes.data(), bytes.size()).ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    Status made = host ? ctx->instantiate(std::move(host), {})
                       : ctx->instantiate_suspending();
    if (!made.ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }

  // Answers work_then_ask.wat's env.ask(n) with n.
  static Status echo(HostCall &call) {
    call.results[0] = call.args[0];
    return {};
  }

  static void expect_usable(Context &ctx) {
    std::vector<wasm_val_t> results;
    ASSERT_TRUE(ctx.call("work_then_ask", {WASM_I32_VAL(3)}, results).ok())
        << ctx.last_error();
    EXPECT_EQ(results.at(0).of.i32, 4);
  }

  // A suspending context whose work_then_ask(1), started with a limit of
  // `timeout_ms`, awaits env.ask; null (failure recorded) otherwise.
  std::unique_ptr<Context> awaiting_ask(uint64_t timeout_ms) {
    auto ctx = make("work_then_ask");
    if (!ctx)
      return nullptr;
    ctx->set_call_timeout(timeout_ms);
    auto progress = ctx->start_call("work_then_ask", {WASM_I32_VAL(1)}, kSlice);
    if (!progress.ok() || progress.value() != CallProgress::awaiting_import) {
      ADD_FAILURE() << "work_then_ask does not await env.ask: "
                    << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }
};

// Suspendable calls; skipped (with the reason) on engines without them.
class SuspendedDeadlineTest : public DeadlineTest {
protected:
  void SetUp() override {
    DeadlineTest::SetUp();
    HB_BEAMR_REQUIRE(hb_beamr::test::Feature::suspend);
  }
};

TEST_F(DeadlineTest, NoDeadlineOutsideACallOrWithoutALimit) {
  Deadline seen = Clock::now();
  auto ctx = make("work_then_ask", [&](HostCall &call) {
    seen = call.context.call_deadline();
    return echo(call);
  });
  ASSERT_TRUE(ctx);
  EXPECT_FALSE(ctx->call_deadline());
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results).ok());
  EXPECT_FALSE(seen) << "a call without a limit has no deadline";
  ctx->set_call_timeout(10000);
  EXPECT_FALSE(ctx->call_deadline()) << "no call is in progress";
}

TEST_F(DeadlineTest, DeadlineIsFixedWhenTheTopLevelCallStarts) {
  Deadline outer, nested;
  auto ctx = make("nested_spin", [&](HostCall &call) -> Status {
    outer = call.context.call_deadline();
    // A new limit applies to the next top-level call, not to this one or
    // to the call nested in it.
    call.context.set_call_timeout(60000);
    std::vector<wasm_val_t> ignored;
    Status spun = call.context.call("spin", {}, ignored);
    nested = call.context.call_deadline();
    return spun;
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(200);
  const auto before = Clock::now();
  std::vector<wasm_val_t> results;
  Status s = ctx->call("outer", {}, results);
  const auto after = Clock::now();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
  ASSERT_TRUE(outer);
  EXPECT_GE(*outer, before + 200ms);
  EXPECT_LE(*outer, after);
  EXPECT_EQ(outer, nested) << "a nested call keeps the outer deadline";
  EXPECT_FALSE(ctx->call_deadline()) << "the deadline ends with the call";
  // The next call takes the limit set during the last one.
  Deadline next;
  ctx = make("work_then_ask", [&](HostCall &call) {
    next = call.context.call_deadline();
    return echo(call);
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(100);
  ASSERT_TRUE(ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results).ok());
  ctx->set_call_timeout(60000);
  const auto start = Clock::now();
  ASSERT_TRUE(ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results).ok());
  ASSERT_TRUE(next);
  EXPECT_GE(*next, start + 60000ms);
}

TEST_F(DeadlineTest, HostFunctionReturningAfterTheDeadlineIsATimeout) {
  // The import returns a good answer, but too late: the call, which would
  // otherwise finish without another instruction worth stopping, fails.
  auto ctx = make("work_then_ask", [](HostCall &call) {
    std::this_thread::sleep_for(200ms);
    return echo(call);
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(50);
  std::vector<wasm_val_t> results;
  Status s = ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
  EXPECT_EQ(ctx->state(), hb_beamr::State::trapped);
  ctx->set_call_timeout(0);
  expect_usable(*ctx);
}

TEST_F(DeadlineTest, HostTrapAfterTheDeadlineIsATimeout) {
  // Whether or not the watchdog has fired yet, a failure past the deadline
  // is the deadline's.
  auto ctx = make("work_then_ask", [](HostCall &call) -> Status {
    while (Clock::now() < *call.context.call_deadline())
      std::this_thread::sleep_for(1ms);
    return hb_beamr::make_error(ErrorKind::trap, "host gave up");
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(50);
  std::vector<wasm_val_t> results;
  Status s = ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
}

TEST_F(DeadlineTest, FailureBeforeTheDeadlineKeepsItsKind) {
  auto ctx = make("work_then_ask", [](HostCall &) -> Status {
    return hb_beamr::make_error(ErrorKind::trap, "host gave up");
  });
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(60000);
  std::vector<wasm_val_t> results;
  Status s = ctx->call("work_then_ask", {WASM_I32_VAL(1)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::trap);
  EXPECT_EQ(s.error().message, "host gave up");
}

TEST_F(SuspendedDeadlineTest, SuspendedCallKeepsItsDeadline) {
  const auto before = Clock::now();
  auto ctx = awaiting_ask(60000);
  ASSERT_TRUE(ctx);
  const Deadline deadline = ctx->call_deadline();
  ASSERT_TRUE(deadline);
  EXPECT_GE(*deadline, before + 60000ms);
  ctx->set_call_timeout(0); // for the next call only
  EXPECT_EQ(ctx->call_deadline(), deadline);
  ASSERT_TRUE(ctx->resolve_import({WASM_I32_VAL(7)}).ok());
  auto progress = ctx->resume(kSlice);
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  ASSERT_EQ(progress.value(), CallProgress::finished);
  EXPECT_EQ(ctx->take_results().at(0).of.i32, 8);
  EXPECT_FALSE(ctx->call_deadline());
}

TEST_F(SuspendedDeadlineTest, RejectedImportAfterTheDeadlineIsATimeout) {
  auto ctx = awaiting_ask(50);
  ASSERT_TRUE(ctx);
  std::this_thread::sleep_until(*ctx->call_deadline() + 20ms);
  ASSERT_TRUE(ctx->reject_import("the host gave up").ok());
  auto progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout)
      << progress.error().message;
  EXPECT_FALSE(ctx->call_deadline());
}

TEST_F(SuspendedDeadlineTest, DeadlineHoldsWhenAnotherThreadResumes) {
  // Started here, answered late from another thread.
  auto ctx = awaiting_ask(50);
  ASSERT_TRUE(ctx);
  const Deadline started = ctx->call_deadline();
  auto other = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(150ms);
    EXPECT_EQ(ctx->call_deadline(), started);
    EXPECT_TRUE(ctx->resolve_import({WASM_I32_VAL(7)}).ok());
    return ctx->resume(kSlice);
  });
  ASSERT_EQ(other.wait_for(10s), std::future_status::ready);
  auto progress = other.get();
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout)
      << progress.error().message;
}

TEST_F(SuspendedDeadlineTest, NestedSuspendableCallSharesTheDeadline) {
  auto ctx = make("nested_spin");
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(100);
  auto progress = ctx->start_call("outer", {}, kSlice);
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  ASSERT_EQ(progress.value(), CallProgress::awaiting_import);
  const Deadline outer = ctx->call_deadline();
  progress = ctx->start_call("spin", {}, kSlice);
  EXPECT_EQ(ctx->call_deadline(), outer);
  while (progress.ok() && progress.value() == CallProgress::yielded)
    progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout)
      << progress.error().message;
  // The outer call, back in its import, ends as timed out however the host
  // answers.
  EXPECT_EQ(ctx->call_deadline(), outer);
  ASSERT_TRUE(ctx->resolve_import({}).ok());
  progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout);
  EXPECT_EQ(ctx->suspended_calls(), 0u);
}

} // namespace
