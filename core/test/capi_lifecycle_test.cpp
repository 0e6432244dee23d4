// Life cycle of the process-wide runtime and of contexts through the C facade:
// init/destroy/re-init, contexts outliving the runtime, contexts made without a
// runtime, and the small query functions (names, store handle, last error).
#include <set>
#include <string>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using LifecycleTest = RuntimeTest;

std::vector<wasm_val_t> fac_args() { return {f64_val(5.0)}; }

TEST_F(LifecycleTest, RuntimeIsInitializedAndNamesItsEngine) {
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
            hb_beamr_capi_lib_runtime_state());
  ASSERT_NE(nullptr, hb_beamr_capi_lib_engine_name());
  EXPECT_STREQ(HB_BEAMR_ENGINE_NAME, hb_beamr_capi_lib_engine_name());
}

TEST_F(LifecycleTest, SecondInitFailsWithInvalidStateAndKeepsTheRuntime) {
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE,
            hb_beamr_capi_lib_init_runtime_global(nullptr));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
            hb_beamr_capi_lib_runtime_state());
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
}

TEST_F(LifecycleTest, InitConsumesAGivenConfig) {
  hb_beamr_capi_lib_destroy_runtime_global();
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
            hb_beamr_capi_lib_runtime_state());
  // The config is consumed; deleting it here would be a double free.
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_init_runtime_global(wasm_config_new()));
  // fac64 needs memory64 switched on, where the engine has it.
  ContextPtr ctx =
      instantiated(engine_supports(Feature::memory64) ? "fac64" : "fac");
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "fac", fac_args(), results, 1));
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
}

TEST_F(LifecycleTest, DestroyAndReinitRepeatedly) {
  for (int round = 0; round < 3; ++round) {
    hb_beamr_capi_lib_destroy_runtime_global();
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
              hb_beamr_capi_lib_runtime_state());
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_init_runtime_global(nullptr));
    ContextPtr ctx = instantiated("fac");
    ASSERT_TRUE(ctx) << "round " << round;
    std::vector<wasm_val_t> results;
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              call(ctx.get(), "fac", fac_args(), results, 1));
    EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
  }
}

TEST_F(LifecycleTest, NewContextIsCreatedWithNoErrorAndNoStore) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  ASSERT_NE(nullptr, hb_beamr_capi_lib_get_last_error(ctx.get()));
  EXPECT_STREQ("", hb_beamr_capi_lib_get_last_error(ctx.get()));
  EXPECT_EQ(nullptr, hb_beamr_capi_lib_context_get_store(ctx.get()));
}

TEST_F(LifecycleTest, StoreHandleExistsOnlyAfterInstantiation) {
  ContextPtr ctx = loaded("fac");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(nullptr, hb_beamr_capi_lib_context_get_store(ctx.get()));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0));
  EXPECT_NE(nullptr, hb_beamr_capi_lib_context_get_store(ctx.get()));
}

TEST_F(LifecycleTest, CreateAndDestroyTrackLiveCount) {
  size_t before = Context::live_count();
  hb_beamr_capi_lib_context_t *a = hb_beamr_capi_lib_create_context();
  hb_beamr_capi_lib_context_t *b = hb_beamr_capi_lib_create_context();
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(before + 2, Context::live_count());
  hb_beamr_capi_lib_destroy_context(a);
  EXPECT_EQ(before + 1, Context::live_count());
  hb_beamr_capi_lib_destroy_context(b);
  EXPECT_EQ(before, Context::live_count());
}

TEST_F(LifecycleTest, DestroyContextIgnoresNull) {
  hb_beamr_capi_lib_destroy_context(nullptr);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
            hb_beamr_capi_lib_runtime_state());
}

TEST_F(LifecycleTest, DestroyingEveryKindOfContextReleasesIt) {
  // One context in each reachable resting state, destroyed by ContextPtr; the
  // fixture's leak check proves each was released.
  ContextPtr created = new_context();
  ContextPtr module_loaded = loaded("fac");
  ContextPtr running = instantiated("fac");
  ContextPtr trapped =
      instantiated("traps", [](auto...) -> wasm_trap_t * { return nullptr; });
  ASSERT_TRUE(created && module_loaded && running && trapped);
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(trapped.get(), "unreachable", {}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(trapped.get()));
}

TEST_F(LifecycleTest, ContextsOutliveTheRuntimeAsRuntimeDestroyed) {
  ContextPtr created = new_context();
  ContextPtr module_loaded = loaded("fac");
  ContextPtr running = instantiated("mem_bounded");
  ASSERT_TRUE(created && module_loaded && running);

  hb_beamr_capi_lib_destroy_runtime_global();

  for (hb_beamr_capi_lib_context_t *ctx :
       {created.get(), module_loaded.get(), running.get()})
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
              hb_beamr_capi_lib_get_state(ctx));

  // Every operation but destruction is refused, naming the state.
  std::vector<uint8_t> bytes = read_fixture("fac");
  EXPECT_TRUE(invalid_state_error(
      created.get(),
      hb_beamr_capi_lib_load_wasm_module(created.get(), bytes.data(),
                                         static_cast<uint32_t>(bytes.size())),
      "RUNTIME_DESTROYED", {"load", "CONTEXT_CREATED"}));
  EXPECT_TRUE(invalid_state_error(
      module_loaded.get(),
      hb_beamr_capi_lib_instantiate(module_loaded.get(), nullptr, nullptr, 0),
      "RUNTIME_DESTROYED", {"instantiate", "MODULE_LOADED"}));
  std::vector<wasm_val_t> results;
  EXPECT_TRUE(invalid_state_error(
      running.get(), call(running.get(), "pages", {}, results, 1),
      "RUNTIME_DESTROYED", {"call", "INSTANTIATED"}));
  uint8_t byte = 0;
  EXPECT_TRUE(invalid_state_error(
      running.get(), hb_beamr_capi_lib_memory_read(running.get(), 0, &byte, 1),
      "RUNTIME_DESTROYED", {"memory", "INSTANTIATED"}));
  EXPECT_TRUE(invalid_state_error(
      running.get(), hb_beamr_capi_lib_memory_write(running.get(), 0, &byte, 1),
      "RUNTIME_DESTROYED", {"memory", "INSTANTIATED"}));

  // A new runtime does not revive contexts of the old one.
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_init_runtime_global(nullptr));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
            hb_beamr_capi_lib_get_state(running.get()));
  EXPECT_TRUE(invalid_state_error(
      running.get(), call(running.get(), "pages", {}, results, 1),
      "RUNTIME_DESTROYED", {"call", "INSTANTIATED"}));

  // ... while contexts made on the new runtime work.
  ContextPtr fresh = instantiated("fac");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(fresh.get(), "fac", fac_args(), results, 1));
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
}

TEST_F(LifecycleTest, ContextWithoutRuntimeIsUninitialized) {
  hb_beamr_capi_lib_destroy_runtime_global();
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  std::vector<uint8_t> bytes = read_fixture("fac");
  EXPECT_TRUE(invalid_state_error(
      ctx.get(),
      hb_beamr_capi_lib_load_wasm_module(ctx.get(), bytes.data(),
                                         static_cast<uint32_t>(bytes.size())),
      "UNINITIALIZED", {"load", "CONTEXT_CREATED"}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED,
            hb_beamr_capi_lib_get_state(ctx.get()));

  // It stays unusable after a runtime appears: it was made without one.
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_init_runtime_global(nullptr));
  EXPECT_TRUE(invalid_state_error(
      ctx.get(),
      hb_beamr_capi_lib_load_wasm_module(ctx.get(), bytes.data(),
                                         static_cast<uint32_t>(bytes.size())),
      "UNINITIALIZED", {"load", "CONTEXT_CREATED"}));
}

TEST_F(LifecycleTest, StateNamesAreTheUpperCaseEnumeratorNames) {
  const std::pair<hb_beamr_capi_lib_state_t, const char *> expected[] = {
      {HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED, "UNINITIALIZED"},
      {HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED, "RUNTIME_INITIALIZED"},
      {HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED, "CONTEXT_CREATED"},
      {HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED, "MODULE_LOADED"},
      {HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, "INSTANTIATED"},
      {HB_BEAMR_CAPI_LIB_STATE_RUNNING_EXPORT, "RUNNING_EXPORT"},
      {HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT, "AWAITING_IMPORT"},
      {HB_BEAMR_CAPI_LIB_STATE_TRAPPED, "TRAPPED"},
      {HB_BEAMR_CAPI_LIB_STATE_DESTROYED, "DESTROYED"},
      {HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED, "RUNTIME_DESTROYED"},
  };
  for (const auto &[state, name] : expected) {
    ASSERT_NE(nullptr, hb_beamr_capi_lib_state_name(state));
    EXPECT_STREQ(name, hb_beamr_capi_lib_state_name(state));
  }
}

TEST_F(LifecycleTest, ReturnCodeNamesAreDistinctAndDescriptive) {
  // The exact spelling (with or without a prefix) is not fixed by the header;
  // each name must be upper case, distinct, and contain its enumerator's tail.
  const std::pair<hb_beamr_capi_lib_rc_t, const char *> expected[] = {
      {HB_BEAMR_CAPI_LIB_SUCCESS, "SUCCESS"},
      {HB_BEAMR_CAPI_LIB_ERROR_ALLOCATION_FAILED, "ALLOCATION_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_WAMR_RUNTIME_INIT_FAILED, "RUNTIME_INIT_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED, "LOAD_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_WAMR_INSTANTIATE_FAILED, "INSTANTIATE_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
       "FUNCTION_LOOKUP_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED, "CALL_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE, "INVALID_STATE"},
      {HB_BEAMR_CAPI_LIB_ERROR_NATIVE_LINKING_FAILED, "NATIVE_LINKING_FAILED"},
      {HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, "OUT_OF_BOUNDS"},
      {HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED, "UNSUPPORTED"},
  };
  std::set<std::string> seen;
  for (const auto &[rc, tail] : expected) {
    const char *name = hb_beamr_capi_lib_rc_name(rc);
    ASSERT_NE(nullptr, name) << static_cast<int>(rc);
    std::string text(name);
    EXPECT_TRUE(contains(text, tail)) << text << " lacks " << tail;
    for (char c : text)
      EXPECT_FALSE(c >= 'a' && c <= 'z') << text << " is not upper case";
    EXPECT_TRUE(seen.insert(text).second) << text << " is not unique";
  }
}

TEST_F(LifecycleTest, LastErrorIsPerContext) {
  ContextPtr failing = new_context();
  ContextPtr quiet = new_context();
  ASSERT_TRUE(failing && quiet);
  const uint8_t garbage[] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
            hb_beamr_capi_lib_load_wasm_module(failing.get(), garbage,
                                               sizeof garbage));
  EXPECT_STRNE("", hb_beamr_capi_lib_get_last_error(failing.get()));
  EXPECT_STREQ("", hb_beamr_capi_lib_get_last_error(quiet.get()));
}

// Without the per-test runtime: whatever ran before in this process, a context
// created while no runtime is up starts UNINITIALIZED.
TEST(NoRuntimeTest, CreateContextWithoutEverInitializing) {
  ASSERT_NE(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
            hb_beamr_capi_lib_runtime_state());
  size_t before = Context::live_count();
  {
    ContextPtr ctx(hb_beamr_capi_lib_create_context());
    ASSERT_TRUE(ctx);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED,
              hb_beamr_capi_lib_get_state(ctx.get()));
    EXPECT_EQ(0u, hb_beamr_capi_lib_import_count(ctx.get()));
    EXPECT_EQ(0u, hb_beamr_capi_lib_export_count(ctx.get()));
    std::vector<wasm_val_t> results;
    EXPECT_TRUE(invalid_state_error(ctx.get(),
                                    call(ctx.get(), "fac", {}, results, 1),
                                    "UNINITIALIZED", {"call", "INSTANTIATED"}));
  }
  EXPECT_EQ(before, Context::live_count());
}

} // namespace
} // namespace hb_beamr::test
