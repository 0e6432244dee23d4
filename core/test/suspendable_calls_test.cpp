// Suspendable calls (Context::start_call and friends): calls that stop at an
// import until it is answered, yield when their time slice ends, nest inside
// an awaited import, and can be abandoned, all without a second thread.
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr_capi_lib.h"
#include "test_support.hpp"

namespace {

using hb_beamr::CallProgress;
using hb_beamr::Context;
using hb_beamr::ErrorKind;
using hb_beamr::State;
using namespace std::chrono_literals;

constexpr auto kSlice = std::chrono::microseconds(1000);
// For calls a test expects to stop at their first import: a slice that
// cannot run out first, even in a sanitizer build on a loaded machine.
constexpr auto kToImport = std::chrono::seconds(10);

class SuspendableCallsTest : public hb_beamr::test::RuntimeTest {
protected:
  std::unique_ptr<Context> make(const char *name) {
    const auto bytes = hb_beamr::test::read_fixture(name);
    auto ctx = Context::create();
    if (!ctx->load(bytes.data(), bytes.size()).ok() ||
        !ctx->instantiate_suspending().ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }

  void SetUp() override {
    RuntimeTest::SetUp();
    HB_BEAMR_REQUIRE(hb_beamr::test::Feature::suspend);
  }

  // Drives a call to its end, answering every import with `answer` (which
  // may start nested calls and drive them with this same function).
  using Answer = std::function<hb_beamr::Status(Context &)>;
  static hb_beamr::Result<CallProgress>
  drive(Context &ctx, hb_beamr::Result<CallProgress> progress,
        const Answer &answer) {
    while (progress && progress.value() != CallProgress::finished) {
      if (progress.value() == CallProgress::awaiting_import) {
        hb_beamr::Status answered = answer(ctx);
        if (!answered)
          return answered.error();
      }
      progress = ctx.resume(kSlice);
    }
    return progress;
  }

  static void expect_usable_nested(Context &ctx) {
    auto done = ctx.start_call("inc", {WASM_I32_VAL(1)}, kSlice);
    ASSERT_TRUE(done.ok()) << ctx.last_error();
    EXPECT_EQ(ctx.take_results().at(0).of.i32, 2);
  }

  static void expect_usable(Context &ctx) {
    auto done = ctx.start_call("count", {WASM_I32_VAL(10)}, kSlice);
    ASSERT_TRUE(done.ok()) << ctx.last_error();
    ASSERT_EQ(done.value(), CallProgress::finished);
    EXPECT_EQ(ctx.take_results().at(0).of.i32, 10);
  }
};

TEST_F(SuspendableCallsTest, ShortCallFinishesInItsFirstSlice) {
  auto ctx = make("fac");
  ASSERT_TRUE(ctx);
  auto done = ctx->start_call("fac", {WASM_F64_VAL(5.0)}, kSlice);
  ASSERT_TRUE(done.ok()) << ctx->last_error();
  EXPECT_EQ(done.value(), CallProgress::finished);
  EXPECT_EQ(ctx->take_results().at(0).of.f64, 120.0);
  EXPECT_EQ(ctx->state(), State::instantiated);
  EXPECT_EQ(ctx->suspended_calls(), 0u);
}

TEST_F(SuspendableCallsTest, ImportSuspendsUntilAnswered) {
  auto ctx = make("pow");
  ASSERT_TRUE(ctx);
  auto progress =
      ctx->start_call("pow", {WASM_F64_VAL(2.0), WASM_I32_VAL(10)}, kSlice);
  int imports = 0;
  double expected_acc = 1.0;
  while (progress.ok() && progress.value() == CallProgress::awaiting_import) {
    ASSERT_EQ(ctx->state(), State::awaiting_import);
    auto request = ctx->pending_import();
    ASSERT_TRUE(request.has_value());
    EXPECT_EQ(request->import->module, "my_lib");
    EXPECT_EQ(request->import->name, "mul");
    ASSERT_EQ(request->args->size(), 2u);
    EXPECT_EQ(request->args->at(0).of.f64, expected_acc);
    const double product =
        request->args->at(0).of.f64 * request->args->at(1).of.f64;
    expected_acc = product;
    ASSERT_TRUE(ctx->resolve_import({WASM_F64_VAL(product)}).ok());
    EXPECT_EQ(ctx->state(), State::running_export);
    ++imports;
    progress = ctx->resume(kSlice);
  }
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  EXPECT_EQ(progress.value(), CallProgress::finished);
  EXPECT_EQ(imports, 10);
  EXPECT_EQ(ctx->take_results().at(0).of.f64, 1024.0);
  EXPECT_FALSE(ctx->pending_import().has_value());
}

TEST_F(SuspendableCallsTest, WrongAnswerIsRefusedAndTheImportStillWaits) {
  auto ctx = make("pow");
  ASSERT_TRUE(ctx);
  auto progress =
      ctx->start_call("pow", {WASM_F64_VAL(3.0), WASM_I32_VAL(1)}, kToImport);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress.value(), CallProgress::awaiting_import);
  hb_beamr::Status wrong = ctx->resolve_import({WASM_I32_VAL(1)});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(ctx->state(), State::awaiting_import);
  ASSERT_TRUE(ctx->resolve_import({WASM_F64_VAL(3.0)}).ok());
  progress = ctx->resume(kSlice);
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.f64, 3.0);
}

TEST_F(SuspendableCallsTest, RejectedImportTrapsWithItsMessage) {
  auto ctx = make("pow");
  ASSERT_TRUE(ctx);
  auto progress =
      ctx->start_call("pow", {WASM_F64_VAL(2.0), WASM_I32_VAL(3)}, kToImport);
  ASSERT_TRUE(progress.ok());
  ASSERT_TRUE(ctx->reject_import("no multiplication today").ok());
  progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::trap);
  EXPECT_EQ(progress.error().message, "no multiplication today");
  EXPECT_EQ(ctx->state(), State::trapped);
  // The instance goes on.
  auto again = drive(
      *ctx,
      ctx->start_call("pow", {WASM_F64_VAL(2.0), WASM_I32_VAL(2)}, kSlice),
      [](Context &c) {
        const auto &args = *c.pending_import()->args;
        return c.resolve_import({WASM_F64_VAL(args[0].of.f64 * 2.0)});
      });
  ASSERT_TRUE(again.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.f64, 4.0);
}

TEST_F(SuspendableCallsTest, LongCallYieldsAtTheEndOfEachSlice) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  auto progress = ctx->start_call("spin", {}, kSlice);
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  EXPECT_EQ(progress.value(), CallProgress::yielded);
  EXPECT_EQ(ctx->state(), State::running_export);
  for (int i = 0; i < 5; ++i) {
    progress = ctx->resume(kSlice);
    ASSERT_TRUE(progress.ok());
    EXPECT_EQ(progress.value(), CallProgress::yielded);
  }
  // A yielded call cannot be nested into.
  EXPECT_FALSE(ctx->start_call("count", {WASM_I32_VAL(1)}, kSlice).ok());
  ctx->interrupt();
  progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::interrupted);
  EXPECT_EQ(ctx->state(), State::trapped);
  expect_usable(*ctx);
}

TEST_F(SuspendableCallsTest, BoundedLoopSpanningSlicesReturnsItsResult) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  // Tiny slices: the loop needs several of them.
  auto progress = ctx->start_call("count", {WASM_I32_VAL(50000000)},
                                  std::chrono::microseconds(1));
  int slices = 1;
  while (progress.ok() && progress.value() == CallProgress::yielded) {
    progress = ctx->resume(std::chrono::microseconds(1));
    ++slices;
  }
  ASSERT_TRUE(progress.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.i32, 50000000);
  std::cout << "[          ] count(5e7) took " << slices << " slices\n";
}

TEST_F(SuspendableCallsTest, TimeLimitHoldsAcrossSlices) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(50);
  auto progress = ctx->start_call("spin", {}, kSlice);
  while (progress.ok() && progress.value() == CallProgress::yielded)
    progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout);
  ctx->set_call_timeout(0);
  expect_usable(*ctx);
}

TEST_F(SuspendableCallsTest, AnswerAfterTheTimeLimitFailsTheCall) {
  auto ctx = make("pow");
  ASSERT_TRUE(ctx);
  ctx->set_call_timeout(20);
  auto progress =
      ctx->start_call("pow", {WASM_F64_VAL(2.0), WASM_I32_VAL(3)}, kToImport);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress.value(), CallProgress::awaiting_import);
  std::this_thread::sleep_for(60ms); // the host takes its time
  ASSERT_TRUE(ctx->resolve_import({WASM_F64_VAL(2.0)}).ok());
  progress = ctx->resume(kSlice);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.error().kind, ErrorKind::timeout)
      << progress.error().message;
}

// nested.wat's descend(n) calls back into the host, which answers
// callback(n) with a nested descend(n - 1): n levels of calls nested inside
// suspended imports.
TEST_F(SuspendableCallsTest, CallsNestInsideAwaitedImports) {
  auto ctx = make("nested");
  ASSERT_TRUE(ctx);
  int deepest = 0;
  Answer answer = [&](Context &c) -> hb_beamr::Status {
    const int32_t n = c.pending_import()->args->at(0).of.i32;
    deepest = std::max<int>(deepest, static_cast<int>(c.suspended_calls()));
    auto nested = drive(
        c, c.start_call("descend", {WASM_I32_VAL(n - 1)}, kSlice), answer);
    if (!nested)
      return nested.error();
    EXPECT_EQ(c.state(), State::awaiting_import);
    return c.resolve_import(c.take_results());
  };
  auto done = drive(*ctx, ctx->start_call("descend", {WASM_I32_VAL(4)}, kSlice),
                    answer);
  ASSERT_TRUE(done.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.i32, 4);
  EXPECT_EQ(deepest, 4);
  EXPECT_EQ(ctx->suspended_calls(), 0u);
  EXPECT_EQ(ctx->state(), State::instantiated);
}

TEST_F(SuspendableCallsTest, RunawayNestingEndsWithStackExhausted) {
  auto ctx = make("nested");
  ASSERT_TRUE(ctx);
  // A host that answers every callback by calling in again. A loaded machine
  // may end a slice before the call reaches its import: resume it then.
  auto descend = [&] {
    auto progress = ctx->start_call("descend", {WASM_I32_VAL(1)}, kSlice);
    while (progress.ok() && progress.value() == CallProgress::yielded)
      progress = ctx->resume(kSlice);
    return progress;
  };
  hb_beamr::Result<CallProgress> progress = descend();
  while (progress.ok())
    progress = descend();
  EXPECT_EQ(progress.error().kind, ErrorKind::trap);
  EXPECT_EQ(progress.error().message, "call stack exhausted");
  EXPECT_EQ(ctx->suspended_calls(), Context::kMaxNestedCalls);
  ctx->abandon_calls();
  expect_usable_nested(*ctx);
}

TEST_F(SuspendableCallsTest, NestedTrapEndsOnlyTheNestedCall) {
  auto ctx = make("nested");
  ASSERT_TRUE(ctx);
  auto outer = ctx->start_call("via_host", {WASM_I32_VAL(7)}, kToImport);
  ASSERT_TRUE(outer.ok());
  ASSERT_EQ(outer.value(), CallProgress::awaiting_import);
  // A nested call whose own import is rejected traps...
  auto inner = ctx->start_call("via_host", {WASM_I32_VAL(8)}, kToImport);
  ASSERT_TRUE(inner.ok());
  ASSERT_EQ(inner.value(), CallProgress::awaiting_import);
  ASSERT_EQ(ctx->suspended_calls(), 2u);
  ASSERT_TRUE(ctx->reject_import("inner failure").ok());
  inner = ctx->resume(kSlice);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().message, "inner failure");
  // ...and the outer call still waits for its own answer.
  EXPECT_EQ(ctx->state(), State::awaiting_import);
  EXPECT_EQ(ctx->suspended_calls(), 1u);
  EXPECT_EQ(ctx->pending_import()->args->at(0).of.i32, 7);
  ASSERT_TRUE(ctx->resolve_import({WASM_I32_VAL(70)}).ok());
  outer = ctx->resume(kSlice);
  ASSERT_TRUE(outer.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.i32, 70);
}

TEST_F(SuspendableCallsTest, AbandonUnwindsEveryNestedCall) {
  auto ctx = make("nested");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->start_call("descend", {WASM_I32_VAL(5)}, kToImport).ok());
  ASSERT_TRUE(ctx->start_call("descend", {WASM_I32_VAL(4)}, kToImport).ok());
  ASSERT_TRUE(ctx->start_call("descend", {WASM_I32_VAL(3)}, kToImport).ok());
  ASSERT_EQ(ctx->suspended_calls(), 3u);
  ctx->abandon_calls();
  EXPECT_EQ(ctx->suspended_calls(), 0u);
  EXPECT_EQ(ctx->state(), State::trapped);
  EXPECT_FALSE(ctx->pending_import().has_value());
  auto again = ctx->start_call("inc", {WASM_I32_VAL(1)}, kSlice);
  ASSERT_TRUE(again.ok()) << ctx->last_error();
  EXPECT_EQ(ctx->take_results().at(0).of.i32, 2);
}

TEST_F(SuspendableCallsTest, AbandonStopsAYieldedLoop) {
  auto ctx = make("loop");
  ASSERT_TRUE(ctx);
  auto progress = ctx->start_call("spin", {}, kSlice);
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress.value(), CallProgress::yielded);
  ctx->abandon_calls();
  EXPECT_EQ(ctx->suspended_calls(), 0u);
  expect_usable(*ctx);
}

TEST_F(SuspendableCallsTest, DestroyingAContextWithSuspendedCallsIsClean) {
  // The leak check of RuntimeTest covers the context; ASan covers the rest.
  auto ctx = make("nested");
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->start_call("descend", {WASM_I32_VAL(2)}, kToImport).ok());
  ASSERT_TRUE(ctx->start_call("descend", {WASM_I32_VAL(1)}, kToImport).ok());
  ctx.reset();
  auto spin = make("loop");
  ASSERT_TRUE(spin);
  ASSERT_TRUE(spin->start_call("spin", {}, kSlice).ok());
  spin.reset();
}

TEST_F(SuspendableCallsTest, WrongStatesAreRefused) {
  auto ctx = make("pow");
  ASSERT_TRUE(ctx);
  auto nothing = ctx->resume(kSlice);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().kind, ErrorKind::invalid_state);
  EXPECT_EQ(ctx->resolve_import({WASM_F64_VAL(1.0)}).error().kind,
            ErrorKind::invalid_state);
  EXPECT_EQ(ctx->reject_import("x").error().kind, ErrorKind::invalid_state);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(ctx->call("pow", {WASM_F64_VAL(1.0), WASM_I32_VAL(1)}, results)
                .error()
                .kind,
            ErrorKind::invalid_state);
  auto unknown = ctx->start_call("nope", {}, kSlice);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::lookup);
  auto bad_args = ctx->start_call("pow", {WASM_I32_VAL(1)}, kSlice);
  ASSERT_FALSE(bad_args.ok());
  EXPECT_EQ(bad_args.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(ctx->state(), State::instantiated);

  // A context made with instantiate() has no suspendable calls.
  const auto bytes = hb_beamr::test::read_fixture("fac");
  auto plain = Context::create();
  ASSERT_TRUE(plain->load(bytes.data(), bytes.size()).ok());
  ASSERT_TRUE(plain->instantiate(nullptr, {}).ok());
  auto refused = plain->start_call("fac", {WASM_F64_VAL(1.0)}, kSlice);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_state);
}

TEST_F(SuspendableCallsTest, StartFunctionImportsAreAnsweredAtOnce) {
  const auto bytes = hb_beamr::test::read_fixture("start_import");
  for (const bool with_host : {false, true}) {
    auto ctx = Context::create();
    ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()).ok());
    hb_beamr::HostFunction seed;
    if (with_host)
      seed = [](hb_beamr::HostCall &call) -> hb_beamr::Status {
        call.results[0] = WASM_I32_VAL(42);
        return {};
      };
    ASSERT_TRUE(ctx->instantiate_suspending(seed).ok()) << ctx->last_error();
    auto done = ctx->start_call("seeded", {}, kSlice);
    ASSERT_TRUE(done.ok()) << ctx->last_error();
    EXPECT_EQ(ctx->take_results().at(0).of.i32, with_host ? 42 : 0);
  }
}

TEST_F(SuspendableCallsTest, SpinningStartFunctionCanBeInterrupted) {
  const auto bytes = hb_beamr::test::read_fixture("start_spin");
  auto ctx = Context::create();
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()).ok());
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    ctx->interrupt();
  });
  hb_beamr::Status made = ctx->instantiate_suspending();
  stopper.join();
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, ErrorKind::interrupted) << made.error().message;
}

// The same through the C facade, with the design's resolve_import.
TEST_F(SuspendableCallsTest, CFacadeAnswersImportsWithResolveImport) {
  const auto bytes = hb_beamr::test::read_fixture("pow");
  hb_beamr::test::ContextPtr ctx(hb_beamr_capi_lib_create_context());
  ASSERT_EQ(hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  ASSERT_EQ(hb_beamr_capi_lib_instantiate_suspending(ctx.get(), nullptr),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  wasm_val_t args[] = {WASM_F64_VAL(3.0), WASM_I32_VAL(4)};
  hb_beamr_capi_call_progress_t progress;
  ASSERT_EQ(hb_beamr_capi_lib_start_call(ctx.get(), "pow", 0, 2, args, 1000,
                                         &progress),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  int imports = 0;
  while (progress == HB_BEAMR_CAPI_CALL_AWAITING_IMPORT) {
    EXPECT_EQ(hb_beamr_capi_lib_get_state(ctx.get()),
              HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT);
    hb_beamr_capi_import_info_t info;
    uint32_t nargs = 0;
    const wasm_val_t *import_args = nullptr;
    ASSERT_EQ(hb_beamr_capi_lib_pending_import(ctx.get(), &info, &nargs,
                                               &import_args),
              HB_BEAMR_CAPI_LIB_SUCCESS);
    EXPECT_STREQ(info.module_name, "my_lib");
    EXPECT_STREQ(info.function_name, "mul");
    ASSERT_EQ(nargs, 2u);
    wasm_val_t product =
        WASM_F64_VAL(import_args[0].of.f64 * import_args[1].of.f64);
    ASSERT_EQ(hb_beamr_capi_lib_resolve_import(ctx.get(), 1, &product),
              HB_BEAMR_CAPI_LIB_SUCCESS);
    ++imports;
    ASSERT_EQ(hb_beamr_capi_lib_resume(ctx.get(), 1000, &progress),
              HB_BEAMR_CAPI_LIB_SUCCESS);
  }
  ASSERT_EQ(progress, HB_BEAMR_CAPI_CALL_FINISHED);
  EXPECT_EQ(imports, 4);
  wasm_val_t result;
  ASSERT_EQ(hb_beamr_capi_lib_take_results(ctx.get(), 1, &result),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  EXPECT_EQ(result.of.f64, 81.0);

  // Rejected: the call traps with the message.
  ASSERT_EQ(hb_beamr_capi_lib_start_call(ctx.get(), "pow", 0, 2, args, 1000,
                                         &progress),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  ASSERT_EQ(hb_beamr_capi_lib_reject_import(ctx.get(), "declined"),
            HB_BEAMR_CAPI_LIB_SUCCESS);
  EXPECT_EQ(hb_beamr_capi_lib_resume(ctx.get(), 1000, &progress),
            HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED);
  EXPECT_EQ(hb_beamr::test::last_error(ctx.get()), "declined");
  // Nothing pending any more.
  EXPECT_EQ(hb_beamr_capi_lib_resolve_import(ctx.get(), 1, args),
            HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE);
  // Plain calls are refused on a suspending context.
  wasm_val_t out;
  EXPECT_EQ(hb_beamr_capi_lib_call_export(ctx.get(), "pow", 2, args, 1, &out),
            HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE);
}

class SuspendUnsupportedTest : public hb_beamr::test::RuntimeTest {};

TEST_F(SuspendUnsupportedTest, EnginesThatCannotSuspendSaySo) {
  const auto bytes = hb_beamr::test::read_fixture("fac");
  auto ctx = Context::create();
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()).ok());
  hb_beamr::Status made = ctx->instantiate_suspending();
  if (Context::can_suspend()) {
    EXPECT_TRUE(made.ok()) << ctx->last_error();
  } else {
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().kind, ErrorKind::unsupported);
    EXPECT_EQ(ctx->state(), State::module_loaded);
  }
}

} // namespace
