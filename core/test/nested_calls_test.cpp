// Re-entrancy through the C facade: a host function calling exports of its own
// context, several levels deep, touching memory while wasm waits, and
// recursion deep enough to exhaust the stack (a trap, not a crash).
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using NestedCallsTest = RuntimeTest;

// Answers callback(x) with inc(x): one nested call.
wasm_trap_t *call_inc(hb_beamr_capi_lib_context_t *ctx,
                      const hb_beamr_capi_import_info_t *,
                      const wasm_val_t *args, size_t, wasm_val_t *results,
                      size_t, void *) {
  wasm_val_t arg = args[0];
  if (hb_beamr_capi_lib_call_export(ctx, "inc", 1, &arg, 1, results) !=
      HB_BEAMR_CAPI_LIB_SUCCESS)
    return hb_beamr_capi_lib_trap_new(ctx,
                                      hb_beamr_capi_lib_get_last_error(ctx));
  return nullptr;
}

TEST_F(NestedCallsTest, HostFunctionCallsAnotherExport) {
  ContextPtr ctx = instantiated("nested", call_inc);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(42, call_i32(ctx.get(), "via_host", {i32_val(41)}));
  EXPECT_EQ(-4, call_i32(ctx.get(), "via_host", {i32_val(-5)}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

// Answers callback(n) with descend(n - 1), tracking the nesting depth.
struct Descent {
  int depth = 0;
  int max_depth = 0;
  int calls = 0;
  std::vector<hb_beamr_capi_lib_state_t> states;
};

wasm_trap_t *descend_further(hb_beamr_capi_lib_context_t *ctx,
                             const hb_beamr_capi_import_info_t *,
                             const wasm_val_t *args, size_t,
                             wasm_val_t *results, size_t, void *user_data) {
  auto *descent = static_cast<Descent *>(user_data);
  descent->calls++;
  descent->depth++;
  if (descent->depth > descent->max_depth)
    descent->max_depth = descent->depth;
  descent->states.push_back(hb_beamr_capi_lib_get_state(ctx));
  wasm_val_t arg = i32_val(args[0].of.i32 - 1);
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_call_export(ctx, "descend", 1, &arg, 1, results);
  descent->depth--;
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS)
    return hb_beamr_capi_lib_trap_new(ctx,
                                      hb_beamr_capi_lib_get_last_error(ctx));
  return nullptr;
}

TEST_F(NestedCallsTest, DescendsSeveralLevelsWithCorrectResults) {
  // Depths stay well below what the engine's default wasm stack (512 KiB,
  // host frames included) allows even in a sanitizer build (about 50).
  for (int32_t n : {0, 1, 2, 3, 10, 30}) {
    SCOPED_TRACE("descend(" + std::to_string(n) + ")");
    Descent descent;
    ContextPtr ctx = instantiated(
        "nested", nullptr,
        {{"env", "callback", as_user_function(descend_further), &descent}});
    ASSERT_TRUE(ctx);
    EXPECT_EQ(n, call_i32(ctx.get(), "descend", {i32_val(n)}));
    EXPECT_EQ(n, descent.calls);
    EXPECT_EQ(n, descent.max_depth);
    EXPECT_EQ(0, descent.depth);
    for (hb_beamr_capi_lib_state_t state : descent.states)
      EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT, state);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
              hb_beamr_capi_lib_get_state(ctx.get()));
    // The same context can do it again.
    EXPECT_EQ(n, call_i32(ctx.get(), "descend", {i32_val(n)}));
  }
}

// Answers callback(n) with descend(n): never stops on its own. Records the
// first failure seen (the innermost one).
struct Runaway {
  int depth = 0;
  int max_depth = 0;
  bool failed = false;
  hb_beamr_capi_lib_rc_t first_rc = HB_BEAMR_CAPI_LIB_SUCCESS;
  std::string first_error;
};

wasm_trap_t *descend_forever(hb_beamr_capi_lib_context_t *ctx,
                             const hb_beamr_capi_import_info_t *,
                             const wasm_val_t *args, size_t,
                             wasm_val_t *results, size_t, void *user_data) {
  auto *runaway = static_cast<Runaway *>(user_data);
  runaway->depth++;
  if (runaway->depth > runaway->max_depth)
    runaway->max_depth = runaway->depth;
  wasm_val_t arg = args[0];
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_call_export(ctx, "descend", 1, &arg, 1, results);
  runaway->depth--;
  if (rc == HB_BEAMR_CAPI_LIB_SUCCESS)
    return nullptr;
  if (!runaway->failed) {
    runaway->failed = true;
    runaway->first_rc = rc;
    runaway->first_error = hb_beamr_capi_lib_get_last_error(ctx);
  }
  return hb_beamr_capi_lib_trap_new(ctx, hb_beamr_capi_lib_get_last_error(ctx));
}

TEST_F(NestedCallsTest, RunawayReentrancyTrapsInsteadOfCrashing) {
  Runaway runaway;
  ContextPtr ctx = instantiated(
      "nested", nullptr,
      {{"env", "callback", as_user_function(descend_forever), &runaway}});
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "descend", {i32_val(1)}, results, 1));
  EXPECT_TRUE(runaway.failed);
  // The innermost failure is the stack running out: a trap.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED, runaway.first_rc)
      << runaway.first_error;
  EXPECT_FALSE(runaway.first_error.empty());
  EXPECT_GT(runaway.max_depth, 10);
  EXPECT_EQ(0, runaway.depth);
  EXPECT_FALSE(last_error(ctx.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx.get()));

  // Fully usable afterwards, including nested calls.
  EXPECT_EQ(6, call_i32(ctx.get(), "inc", {i32_val(5)}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(NestedCallsTest, RunawayReentrancyCanBeRepeated) {
  // A stack exhausted once must be fully unwound: doing it again works too.
  Runaway runaway;
  ContextPtr ctx = instantiated(
      "nested", nullptr,
      {{"env", "callback", as_user_function(descend_forever), &runaway}});
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  for (int round = 0; round < 3; ++round) {
    runaway = Runaway{};
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
              call(ctx.get(), "descend", {i32_val(1)}, results, 1))
        << "round " << round;
    EXPECT_EQ(0, runaway.depth);
  }
  EXPECT_EQ(1, call_i32(ctx.get(), "inc", {i32_val(0)}));
}

// Writes 0x11223344 at the address wasm passes, while wasm waits.
wasm_trap_t *write_memory(hb_beamr_capi_lib_context_t *ctx,
                          const hb_beamr_capi_import_info_t *,
                          const wasm_val_t *args, size_t, wasm_val_t *results,
                          size_t, void *) {
  const uint8_t bytes[] = {0x44, 0x33, 0x22, 0x11}; // little endian
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_memory_write(
      ctx, static_cast<uint32_t>(args[0].of.i32), bytes, sizeof bytes);
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS)
    return hb_beamr_capi_lib_trap_new(ctx, "memory_write failed in host");
  results[0] = i32_val(0);
  return nullptr;
}

TEST_F(NestedCallsTest, HostFunctionWritesMemoryWasmThenReads) {
  ContextPtr ctx = instantiated("nested", write_memory);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(0x11223344,
            call_i32(ctx.get(), "write_then_read", {i32_val(1024)}));
}

} // namespace
} // namespace hb_beamr::test
