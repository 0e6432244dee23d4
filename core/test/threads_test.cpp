// The thread rules of the C facade: a context may be used from any thread
// (one at a time), contexts on different threads run independently, and the
// runtime functions may be called from any thread.
#include <atomic>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using ThreadsTest = RuntimeTest;

double call_fac(hb_beamr_capi_lib_context_t *ctx, double n) {
  wasm_val_t arg = f64_val(n);
  wasm_val_t result{};
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_call_export(ctx, "fac", 1, &arg, 1, &result);
  return rc == HB_BEAMR_CAPI_LIB_SUCCESS ? result.of.f64 : -1.0;
}

TEST_F(ThreadsTest, ContextMovesBetweenThreads) {
  // Created and loaded here, instantiated on a second thread, called on a
  // third, destroyed back here.
  ContextPtr ctx = loaded("fac");
  ASSERT_TRUE(ctx);
  hb_beamr_capi_lib_rc_t instantiate_rc = HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED;
  std::thread([&] {
    instantiate_rc =
        hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0);
  }).join();
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, instantiate_rc) << last_error(ctx.get());
  double result = 0;
  std::thread([&] { result = call_fac(ctx.get(), 5.0); }).join();
  EXPECT_DOUBLE_EQ(120.0, result);
  EXPECT_DOUBLE_EQ(6.0, call_fac(ctx.get(), 3.0));
}

TEST_F(ThreadsTest, TrapOnAnotherThreadLeavesContextUsable) {
  ContextPtr ctx =
      instantiated("traps", [](auto...) -> wasm_trap_t * { return nullptr; });
  ASSERT_TRUE(ctx);
  hb_beamr_capi_lib_rc_t rc = HB_BEAMR_CAPI_LIB_SUCCESS;
  std::thread([&] {
    rc = hb_beamr_capi_lib_call_export(ctx.get(), "stack_overflow", 0, nullptr,
                                       0, nullptr);
  }).join();
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED, rc);
  EXPECT_EQ(42, call_i32(ctx.get(), "answer", {}));
}

TEST_F(ThreadsTest, ContextsRunConcurrentlyOnTheirOwnThreads) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&failures, t] {
      // Each thread owns its whole context life cycle.
      ContextPtr ctx(hb_beamr_capi_lib_create_context());
      bool use64 = t % 2 == 1 && engine_supports(Feature::memory64);
      std::vector<uint8_t> bytes = read_fixture(use64 ? "fac64" : "fac");
      if (!ctx ||
          hb_beamr_capi_lib_load_wasm_module(
              ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())) !=
              HB_BEAMR_CAPI_LIB_SUCCESS ||
          hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0) !=
              HB_BEAMR_CAPI_LIB_SUCCESS) {
        failures++;
        return;
      }
      for (int round = 0; round < kRounds; ++round)
        if (call_fac(ctx.get(), 10.0) != 3628800.0)
          failures++;
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(0, failures.load());
}

TEST_F(ThreadsTest, RuntimeQueriedAndCyclesFromAnotherThread) {
  hb_beamr_capi_lib_state_t seen = HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED;
  std::thread([&] { seen = hb_beamr_capi_lib_runtime_state(); }).join();
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED, seen);
  hb_beamr_capi_lib_rc_t rc = HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED;
  std::thread([&] {
    hb_beamr_capi_lib_destroy_runtime_global();
    rc = hb_beamr_capi_lib_init_runtime_global(nullptr);
  }).join();
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, rc);
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  EXPECT_DOUBLE_EQ(120.0, call_fac(ctx.get(), 5.0));
}

TEST_F(ThreadsTest, ConcurrentInitCallsLetExactlyOneWin) {
  hb_beamr_capi_lib_destroy_runtime_global();
  constexpr int kThreads = 4;
  std::atomic<int> successes{0};
  std::atomic<int> invalid_state{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      hb_beamr_capi_lib_rc_t rc =
          hb_beamr_capi_lib_init_runtime_global(nullptr);
      if (rc == HB_BEAMR_CAPI_LIB_SUCCESS)
        successes++;
      else if (rc == HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE)
        invalid_state++;
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(1, successes.load());
  EXPECT_EQ(kThreads - 1, invalid_state.load());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
            hb_beamr_capi_lib_runtime_state());
}

} // namespace
} // namespace hb_beamr::test
