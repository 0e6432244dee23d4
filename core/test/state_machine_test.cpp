// The context state machine through the C facade: every valid transition, and
// every operation in every state that forbids it. A refused operation returns
// INVALID_STATE, names the current state and the operation (or the state it
// needs) in get_last_error, and leaves the state unchanged.
#include <functional>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using StateMachineTest = RuntimeTest;

hb_beamr_capi_lib_state_t state_of(hb_beamr_capi_lib_context_t *ctx) {
  return hb_beamr_capi_lib_get_state(ctx);
}

// One C facade operation, with the words an INVALID_STATE message for it may
// use to say what was attempted or what state it needs.
struct Operation {
  const char *name;
  std::vector<const char *> words;
  std::function<hb_beamr_capi_lib_rc_t(hb_beamr_capi_lib_context_t *)> run;
};

enum OperationGroup {
  kLoad,
  kInstantiate,
  kSerialize,
  kCall,
  kMemory,
  kGlobal
};

struct GroupedOperation {
  OperationGroup group;
  Operation op;
};

// Every state-dependent operation of the facade. Arguments are valid for the
// modules used below, so an operation that is wrongly allowed would not fail
// for another reason.
std::vector<GroupedOperation> all_operations() {
  auto fac = std::make_shared<std::vector<uint8_t>>(read_fixture("fac"));
  return {
      {kLoad,
       {"load_wasm_module",
        {"load", "CONTEXT_CREATED"},
        [fac](hb_beamr_capi_lib_context_t *ctx) {
          return hb_beamr_capi_lib_load_wasm_module(
              ctx, fac->data(), static_cast<uint32_t>(fac->size()));
        }}},
      {kLoad,
       {"load_precompiled_module",
        {"load", "precompiled", "CONTEXT_CREATED"},
        [fac](hb_beamr_capi_lib_context_t *ctx) {
          return hb_beamr_capi_lib_load_precompiled_module(ctx, fac->data(),
                                                           fac->size());
        }}},
      {kSerialize,
       {"serialize_module",
        {"serializ", "MODULE_LOADED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          wasm_byte_vec_t out{};
          hb_beamr_capi_lib_rc_t rc =
              hb_beamr_capi_lib_serialize_module(ctx, &out);
          if (rc == HB_BEAMR_CAPI_LIB_SUCCESS)
            wasm_byte_vec_delete(&out);
          return rc;
        }}},
      {kInstantiate,
       {"instantiate",
        {"instantiate", "MODULE_LOADED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          return hb_beamr_capi_lib_instantiate(ctx, nullptr, nullptr, 0);
        }}},
      {kCall,
       {"call_export",
        {"call", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          wasm_val_t arg = f64_val(3.0);
          wasm_val_t result{};
          return hb_beamr_capi_lib_call_export(ctx, "fac", 1, &arg, 1, &result);
        }}},
      {kCall,
       {"call_indirect",
        {"call", "indirect", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          wasm_val_t args[] = {i32_val(1), i32_val(2)};
          wasm_val_t result{};
          return hb_beamr_capi_lib_call_indirect(ctx, 0, 2, args, 1, &result);
        }}},
      {kMemory,
       {"memory_size",
        {"memory", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          uint64_t bytes = 0;
          return hb_beamr_capi_lib_memory_size(ctx, &bytes);
        }}},
      {kMemory,
       {"memory_read",
        {"memory", "read", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          uint8_t byte = 0;
          return hb_beamr_capi_lib_memory_read(ctx, 0, &byte, 1);
        }}},
      {kMemory,
       {"memory_write",
        {"memory", "write", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          uint8_t byte = 0;
          return hb_beamr_capi_lib_memory_write(ctx, 0, &byte, 1);
        }}},
      {kMemory,
       {"memory_grow",
        {"memory", "grow", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          return hb_beamr_capi_lib_memory_grow(ctx, 0, nullptr);
        }}},
      {kGlobal,
       {"global_get",
        {"global", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          wasm_val_t value{};
          return hb_beamr_capi_lib_global_get(ctx, "counter", &value);
        }}},
      {kGlobal,
       {"global_set",
        {"global", "INSTANTIATED"},
        [](hb_beamr_capi_lib_context_t *ctx) {
          wasm_val_t value = i32_val(1);
          return hb_beamr_capi_lib_global_set(ctx, "counter", &value);
        }}},
  };
}

// Runs every operation of the given groups on `ctx`, expecting each to be
// refused in state `expected` and the state to stay put.
void expect_all_refused(hb_beamr_capi_lib_context_t *ctx,
                        hb_beamr_capi_lib_state_t expected,
                        std::initializer_list<OperationGroup> groups) {
  const char *state_name = hb_beamr_capi_lib_state_name(expected);
  for (const GroupedOperation &entry : all_operations()) {
    bool forbidden = false;
    for (OperationGroup group : groups)
      forbidden = forbidden || group == entry.group;
    if (!forbidden)
      continue;
    SCOPED_TRACE(std::string(entry.op.name) + " in " + state_name);
    EXPECT_TRUE(invalid_state_error(ctx, entry.op.run(ctx), state_name,
                                    entry.op.words));
    EXPECT_EQ(expected, state_of(ctx)) << "state changed by a refused call";
  }
}

const std::initializer_list<OperationGroup> kEverything = {
    kLoad, kInstantiate, kSerialize, kCall, kMemory, kGlobal};

// Default import function: answers every import with zeros.
wasm_trap_t *answer_zero_default(hb_beamr_capi_lib_context_t *,
                                 const hb_beamr_capi_import_info_t *,
                                 const wasm_val_t *, size_t,
                                 wasm_val_t *results, size_t num_results,
                                 void *) {
  for (size_t i = 0; i < num_results; ++i)
    results[i] = i32_val(0);
  return nullptr;
}

// ---- Valid transitions ---------------------------------------------------

TEST_F(StateMachineTest, HappyPathThroughEveryRestingState) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED, state_of(ctx.get()));

  std::vector<uint8_t> bytes = read_fixture("traps");
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED, state_of(ctx.get()));

  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(
                ctx.get(), as_user_function(answer_zero_default), nullptr, 0))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));

  EXPECT_EQ(42, call_i32(ctx.get(), "answer", {}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));

  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "unreachable", {}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED, state_of(ctx.get()));

  // TRAPPED --trap--> TRAPPED
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "div_by_zero", {i32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED, state_of(ctx.get()));

  // TRAPPED --call--> INSTANTIATED
  EXPECT_EQ(42, call_i32(ctx.get(), "answer", {}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));

  // Memory and serialization are allowed once instantiated.
  uint64_t size = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_size(ctx.get(), &size));
  // (An engine without precompiled modules refuses, in any state.)
  wasm_byte_vec_t out{};
  ASSERT_EQ(engine_supports(Feature::precompiled)
                ? HB_BEAMR_CAPI_LIB_SUCCESS
                : HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED,
            hb_beamr_capi_lib_serialize_module(ctx.get(), &out))
      << last_error(ctx.get());
  wasm_byte_vec_delete(&out);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));
}

TEST_F(StateMachineTest, TrappedContextAllowsIndirectCallsAndMemory) {
  ContextPtr ctx = instantiated("indirect");
  ASSERT_TRUE(ctx);
  wasm_val_t result{};
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
      hb_beamr_capi_lib_call_indirect(ctx.get(), 2, 0, nullptr, 0, nullptr));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED, state_of(ctx.get()));
  wasm_val_t args[] = {i32_val(20), i32_val(22)};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_call_indirect(ctx.get(), 0, 2, args, 1, &result))
      << last_error(ctx.get());
  EXPECT_EQ(42, result.of.i32);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));

  ContextPtr traps = instantiated("traps", answer_zero_default);
  ASSERT_TRUE(traps);
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(traps.get(), "unreachable", {}, results, 0));
  uint8_t byte = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_read(traps.get(), 0, &byte, 1))
      << last_error(traps.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED, state_of(traps.get()));
}

TEST_F(StateMachineTest, FailedLoadKeepsContextCreated) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
      hb_beamr_capi_lib_load_wasm_module(ctx.get(), garbage, sizeof garbage));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED, state_of(ctx.get()));
  std::vector<uint8_t> bytes = read_fixture("fac");
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED, state_of(ctx.get()));
}

TEST_F(StateMachineTest, FailedInstantiateKeepsModuleLoaded) {
  // The start function calls an unlinked import, which traps.
  ContextPtr ctx = loaded("start_import");
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_INSTANTIATE_FAILED,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED, state_of(ctx.get()));
  // Retrying with what was missing succeeds.
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(
                ctx.get(), as_user_function(answer_zero_default), nullptr, 0))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));
  EXPECT_EQ(0, call_i32(ctx.get(), "seeded", {}));
}

TEST_F(StateMachineTest, RejectedArgumentsKeepInstantiated) {
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx.get(), "fac", {i32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx.get(), "nope", {}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));
}

// Observes the state from inside a host function, then calls back in and
// observes it again once the nested call has returned.
struct ObservedStates {
  hb_beamr_capi_lib_state_t on_entry = HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED;
  hb_beamr_capi_lib_state_t after_nested =
      HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED;
  hb_beamr_capi_lib_rc_t nested_rc = HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED;
};

wasm_trap_t *observe_states(hb_beamr_capi_lib_context_t *ctx,
                            const hb_beamr_capi_import_info_t *,
                            const wasm_val_t *args, size_t, wasm_val_t *results,
                            size_t, void *user_data) {
  auto *seen = static_cast<ObservedStates *>(user_data);
  seen->on_entry = hb_beamr_capi_lib_get_state(ctx);
  wasm_val_t arg = args[0];
  seen->nested_rc =
      hb_beamr_capi_lib_call_export(ctx, "inc", 1, &arg, 1, results);
  seen->after_nested = hb_beamr_capi_lib_get_state(ctx);
  return nullptr;
}

TEST_F(StateMachineTest, HostFunctionRunsInAwaitingImport) {
  ObservedStates seen;
  ContextPtr ctx = instantiated(
      "nested", nullptr,
      {{"env", "callback", as_user_function(observe_states), &seen}});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(8, call_i32(ctx.get(), "via_host", {i32_val(7)}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT, seen.on_entry);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, seen.nested_rc);
  // The outer export is still waiting for this host function.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT, seen.after_nested);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED, state_of(ctx.get()));
}

// ---- Refused operations, state by state ----------------------------------

TEST_F(StateMachineTest, ContextCreatedRefusesAllButLoading) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  expect_all_refused(ctx.get(), HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
                     {kInstantiate, kSerialize, kCall, kMemory, kGlobal});
}

TEST_F(StateMachineTest, ModuleLoadedRefusesLoadingRunningAndInstanceAccess) {
  ContextPtr ctx = loaded("values");
  ASSERT_TRUE(ctx);
  expect_all_refused(ctx.get(), HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED,
                     {kLoad, kCall, kMemory, kGlobal});
}

TEST_F(StateMachineTest, InstantiatedRefusesLoadingAndInstantiating) {
  ContextPtr ctx = instantiated("values");
  ASSERT_TRUE(ctx);
  expect_all_refused(ctx.get(), HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
                     {kLoad, kInstantiate});
}

TEST_F(StateMachineTest, TrappedRefusesLoadingAndInstantiating) {
  ContextPtr ctx = instantiated("traps", answer_zero_default);
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "unreachable", {}, results, 0));
  expect_all_refused(ctx.get(), HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
                     {kLoad, kInstantiate});
}

TEST_F(StateMachineTest, UninitializedRefusesEverything) {
  hb_beamr_capi_lib_destroy_runtime_global();
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  expect_all_refused(ctx.get(), HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED,
                     kEverything);
}

TEST_F(StateMachineTest, RuntimeDestroyedRefusesEverything) {
  ContextPtr created = new_context();
  ContextPtr module_loaded = loaded("values");
  ContextPtr running = instantiated("values");
  ASSERT_TRUE(created && module_loaded && running);
  hb_beamr_capi_lib_destroy_runtime_global();
  for (hb_beamr_capi_lib_context_t *ctx :
       {created.get(), module_loaded.get(), running.get()})
    expect_all_refused(ctx, HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
                       kEverything);
}

// Runs the refusal checks from inside a host function.
wasm_trap_t *refuse_while_awaiting(hb_beamr_capi_lib_context_t *ctx,
                                   const hb_beamr_capi_import_info_t *,
                                   const wasm_val_t *, size_t,
                                   wasm_val_t *results, size_t,
                                   void *user_data) {
  expect_all_refused(ctx, HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT,
                     {kLoad, kInstantiate});
  *static_cast<int *>(user_data) += 1;
  results[0] = i32_val(0);
  return nullptr;
}

TEST_F(StateMachineTest, AwaitingImportRefusesLoadingAndInstantiating) {
  int calls = 0;
  ContextPtr ctx = instantiated(
      "nested", nullptr,
      {{"env", "callback", as_user_function(refuse_while_awaiting), &calls}});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(0, call_i32(ctx.get(), "via_host", {i32_val(1)}));
  EXPECT_EQ(1, calls);
}

// Destroys the context from inside its own host function, then checks that it
// reads DESTROYED and refuses everything.
wasm_trap_t *destroy_self(hb_beamr_capi_lib_context_t *ctx,
                          const hb_beamr_capi_import_info_t *,
                          const wasm_val_t *, size_t, wasm_val_t *results,
                          size_t, void *user_data) {
  hb_beamr_capi_lib_destroy_context(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_DESTROYED,
            hb_beamr_capi_lib_get_state(ctx));
  expect_all_refused(ctx, HB_BEAMR_CAPI_LIB_STATE_DESTROYED, kEverything);
  *static_cast<int *>(user_data) += 1;
  results[0] = i32_val(0);
  return nullptr;
}

TEST_F(StateMachineTest, DestroyFromHostFunctionMarksDestroyed) {
  int calls = 0;
  ContextPtr ctx = instantiated(
      "nested", nullptr,
      {{"env", "callback", as_user_function(destroy_self), &calls}});
  ASSERT_TRUE(ctx);
  // The context is released when this outermost call returns, so its handle
  // must not be used (or destroyed again) afterwards.
  hb_beamr_capi_lib_context_t *raw = ctx.release();
  wasm_val_t arg = i32_val(1);
  wasm_val_t result{};
  (void)hb_beamr_capi_lib_call_export(raw, "via_host", 1, &arg, 1, &result);
  EXPECT_EQ(1, calls);
  // The fixture's leak check verifies the context was released.
}

} // namespace
} // namespace hb_beamr::test
