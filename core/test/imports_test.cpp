// Import binding through the C facade: override symbols answer their own
// (module, name), the default function answers the rest, user_data and the
// import description reach the host function, non-function imports get fresh
// objects, and an import nobody answers is a link error.
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using ImportsTest = RuntimeTest;

// What a host function saw on its last call, and how often it ran.
struct HostLog {
  int calls = 0;
  hb_beamr_capi_lib_context_t *ctx = nullptr;
  std::string module;
  std::string name;
  std::string signature;
  size_t num_args = 0;
  size_t num_results = 0;
  void *user_data = nullptr;

  void record(hb_beamr_capi_lib_context_t *c,
              const hb_beamr_capi_import_info_t *import, size_t args,
              size_t results, void *data) {
    ++calls;
    ctx = c;
    module = import->module_name;
    name = import->function_name;
    signature = import->signature;
    num_args = args;
    num_results = results;
    user_data = data;
  }
};

// Multiplies for pow.wat's my_lib.mul; logs into the HostLog in user_data.
wasm_trap_t *mul_override(hb_beamr_capi_lib_context_t *ctx,
                          const hb_beamr_capi_import_info_t *import,
                          const wasm_val_t *args, size_t num_args,
                          wasm_val_t *results, size_t num_results,
                          void *user_data) {
  static_cast<HostLog *>(user_data)->record(ctx, import, num_args, num_results,
                                            user_data);
  results[0] = f64_val(args[0].of.f64 * args[1].of.f64);
  return nullptr;
}

// The default function has no user_data of its own, so it logs here.
HostLog default_log;

wasm_trap_t *mul_default(hb_beamr_capi_lib_context_t *ctx,
                         const hb_beamr_capi_import_info_t *import,
                         const wasm_val_t *args, size_t num_args,
                         wasm_val_t *results, size_t num_results,
                         void *user_data) {
  default_log.record(ctx, import, num_args, num_results, user_data);
  results[0] = f64_val(args[0].of.f64 * args[1].of.f64);
  return nullptr;
}

// A default that must not run: it makes the caller trap.
wasm_trap_t *must_not_run(hb_beamr_capi_lib_context_t *ctx,
                          const hb_beamr_capi_import_info_t *import,
                          const wasm_val_t *, size_t, wasm_val_t *, size_t,
                          void *) {
  ADD_FAILURE() << "default called for " << import->module_name << "."
                << import->function_name;
  return hb_beamr_capi_lib_trap_new(ctx, "default must not run");
}

class ImportsTestWithLog : public ImportsTest {
protected:
  void SetUp() override {
    ImportsTest::SetUp();
    default_log = HostLog{};
  }
};

double call_pow(hb_beamr_capi_lib_context_t *ctx, double base, int32_t exp) {
  std::vector<wasm_val_t> results;
  hb_beamr_capi_lib_rc_t rc =
      call(ctx, "pow", {f64_val(base), i32_val(exp)}, results, 1);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, rc) << last_error(ctx);
  EXPECT_EQ(WASM_F64, results[0].kind);
  return results[0].of.f64;
}

TEST_F(ImportsTestWithLog, DefaultFunctionAnswersAnImportWithItsDescription) {
  ContextPtr ctx = instantiated("pow", mul_default);
  ASSERT_TRUE(ctx);
  EXPECT_DOUBLE_EQ(1024.0, call_pow(ctx.get(), 2.0, 10));
  EXPECT_EQ(10, default_log.calls);
  EXPECT_EQ(ctx.get(), default_log.ctx);
  EXPECT_EQ("my_lib", default_log.module);
  EXPECT_EQ("mul", default_log.name);
  EXPECT_EQ("(FF)F", default_log.signature);
  EXPECT_EQ(2u, default_log.num_args);
  EXPECT_EQ(1u, default_log.num_results);
}

TEST_F(ImportsTestWithLog, OverrideAnswersItsImportWithItsUserData) {
  HostLog log;
  ContextPtr ctx =
      instantiated("pow", must_not_run,
                   {{"my_lib", "mul", as_user_function(mul_override), &log}});
  ASSERT_TRUE(ctx);
  EXPECT_DOUBLE_EQ(243.0, call_pow(ctx.get(), 3.0, 5));
  EXPECT_EQ(5, log.calls);
  EXPECT_EQ(&log, log.user_data);
  EXPECT_EQ(ctx.get(), log.ctx);
  EXPECT_EQ("my_lib", log.module);
  EXPECT_EQ("mul", log.name);
  EXPECT_EQ("(FF)F", log.signature);
  EXPECT_EQ(2u, log.num_args);
  EXPECT_EQ(1u, log.num_results);
  EXPECT_DOUBLE_EQ(1.0, call_pow(ctx.get(), 3.0, 0)); // no host call at all
  EXPECT_EQ(5, log.calls);
}

TEST_F(ImportsTestWithLog, OverrideNeedsBothModuleAndNameToMatch) {
  // Same function name under another module, and same module with another
  // name: neither may capture my_lib.mul, so the default answers it.
  HostLog wrong_module;
  HostLog wrong_name;
  ContextPtr ctx = instantiated(
      "pow", mul_default,
      {{"other_lib", "mul", as_user_function(mul_override), &wrong_module},
       {"my_lib", "div", as_user_function(mul_override), &wrong_name}});
  ASSERT_TRUE(ctx);
  EXPECT_DOUBLE_EQ(16.0, call_pow(ctx.get(), 2.0, 4));
  EXPECT_EQ(4, default_log.calls);
  EXPECT_EQ(0, wrong_module.calls);
  EXPECT_EQ(0, wrong_name.calls);
}

TEST_F(ImportsTestWithLog, TwoContextsKeepTheirOwnOverrides) {
  HostLog first_log;
  HostLog second_log;
  ContextPtr first = instantiated(
      "pow", nullptr,
      {{"my_lib", "mul", as_user_function(mul_override), &first_log}});
  ContextPtr second = instantiated(
      "pow", nullptr,
      {{"my_lib", "mul", as_user_function(mul_override), &second_log}});
  ASSERT_TRUE(first && second);
  EXPECT_DOUBLE_EQ(8.0, call_pow(first.get(), 2.0, 3));
  EXPECT_DOUBLE_EQ(4.0, call_pow(second.get(), 2.0, 2));
  EXPECT_EQ(3, first_log.calls);
  EXPECT_EQ(first.get(), first_log.ctx);
  EXPECT_EQ(2, second_log.calls);
  EXPECT_EQ(second.get(), second_log.ctx);
}

// imports_all.wat: env.add_i64 "(II)I" answered by an override, host.mix
// "(ifF)F" by the default.
wasm_trap_t *add_i64_override(hb_beamr_capi_lib_context_t *ctx,
                              const hb_beamr_capi_import_info_t *import,
                              const wasm_val_t *args, size_t num_args,
                              wasm_val_t *results, size_t num_results,
                              void *user_data) {
  static_cast<HostLog *>(user_data)->record(ctx, import, num_args, num_results,
                                            user_data);
  results[0] = i64_val(args[0].of.i64 + args[1].of.i64);
  return nullptr;
}

wasm_trap_t *mix_default(hb_beamr_capi_lib_context_t *ctx,
                         const hb_beamr_capi_import_info_t *import,
                         const wasm_val_t *args, size_t num_args,
                         wasm_val_t *results, size_t num_results,
                         void *user_data) {
  default_log.record(ctx, import, num_args, num_results, user_data);
  EXPECT_EQ(WASM_I32, args[0].kind);
  EXPECT_EQ(WASM_F32, args[1].kind);
  EXPECT_EQ(WASM_F64, args[2].kind);
  results[0] = f64_val(args[0].of.i32 + args[1].of.f32 + args[2].of.f64);
  return nullptr;
}

TEST_F(ImportsTestWithLog, OverrideAndDefaultSplitTheImports) {
  HostLog add_log;
  ContextPtr ctx = instantiated(
      "imports_all", mix_default,
      {{"env", "add_i64", as_user_function(add_i64_override), &add_log}});
  ASSERT_TRUE(ctx);

  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "call_add_i64",
                 {i64_val(INT64_C(1) << 40), i64_val(-3)}, results, 1))
      << last_error(ctx.get());
  EXPECT_EQ((INT64_C(1) << 40) - 3, results[0].of.i64);
  EXPECT_EQ(1, add_log.calls);
  EXPECT_EQ("env", add_log.module);
  EXPECT_EQ("add_i64", add_log.name);
  EXPECT_EQ("(II)I", add_log.signature);
  EXPECT_EQ(0, default_log.calls);

  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "call_mix",
                 {i32_val(1), f32_val(0.5f), f64_val(0.25)}, results, 1))
      << last_error(ctx.get());
  EXPECT_DOUBLE_EQ(1.75, results[0].of.f64);
  EXPECT_EQ(1, default_log.calls);
  EXPECT_EQ("host", default_log.module);
  EXPECT_EQ("mix", default_log.name);
  EXPECT_EQ("(ifF)F", default_log.signature);
  EXPECT_EQ(3u, default_log.num_args);
  EXPECT_EQ(1u, default_log.num_results);
  EXPECT_EQ(1, add_log.calls);
}

TEST_F(ImportsTestWithLog, NonFunctionImportsGetFreshObjects) {
  HostLog add_log;
  ContextPtr ctx = instantiated(
      "imports_all", mix_default,
      {{"env", "add_i64", as_user_function(add_i64_override), &add_log}});
  ASSERT_TRUE(ctx);
  // Memory and table at their declared minimum, globals zero.
  EXPECT_EQ(1, call_i32(ctx.get(), "memory_pages", {}));
  EXPECT_EQ(1, call_i32(ctx.get(), "table_size", {}));
  EXPECT_EQ(0, call_i32(ctx.get(), "get_counter", {}));
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "get_level", {}, results, 1));
  EXPECT_EQ(0, results[0].of.i64);
  // The imported memory is the default memory, usable from the host.
  uint64_t bytes = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_size(ctx.get(), &bytes));
  EXPECT_EQ(65536u, bytes);
  // It keeps its declared maximum of 2 pages.
  uint64_t old_pages = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx.get(), 1, &old_pages));
  EXPECT_EQ(1u, old_pages);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_grow(ctx.get(), 1, &old_pages));
}

TEST_F(ImportsTestWithLog, FreshObjectsAreNotSharedBetweenContexts) {
  ContextPtr first = instantiated("imports_all", mix_default);
  ContextPtr second = instantiated("imports_all", mix_default);
  ASSERT_TRUE(first && second);
  const uint8_t marker = 0xa5;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(first.get(), 100, &marker, 1));
  uint8_t seen = 0xff;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_read(second.get(), 100, &seen, 1));
  EXPECT_EQ(0, seen);
}

TEST_F(ImportsTest, UnlinkedImportTrapsNamingIt) {
  ContextPtr ctx = loaded("unsat");
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0))
      << last_error(ctx.get());
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "call_missing", {}, results, 1));
  EXPECT_TRUE(contains(last_error(ctx.get()), "unlinked import env.missing"))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(ImportsTest, OverrideForAnotherImportLeavesItUnlinked) {
  HostLog log;
  ContextPtr ctx = loaded("unsat");
  ASSERT_TRUE(ctx);
  hb_beamr_capi_native_symbol_t symbol{"env", "present",
                                       as_user_function(mul_override), &log};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, &symbol, 1))
      << last_error(ctx.get());
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "call_missing", {}, results, 1));
  EXPECT_TRUE(contains(last_error(ctx.get()), "env.missing"))
      << last_error(ctx.get());
}

// Answers env.missing with 77.
wasm_trap_t *answer_77(hb_beamr_capi_lib_context_t *,
                       const hb_beamr_capi_import_info_t *import,
                       const wasm_val_t *, size_t num_args, wasm_val_t *results,
                       size_t num_results, void *) {
  EXPECT_STREQ("()i", import->signature);
  EXPECT_EQ(0u, num_args);
  EXPECT_EQ(1u, num_results);
  results[0] = i32_val(77);
  return nullptr;
}

TEST_F(ImportsTest, DefaultFunctionSatisfiesAnyImport) {
  ContextPtr ctx = instantiated("unsat", answer_77);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(77, call_i32(ctx.get(), "call_missing", {}));
}

TEST_F(ImportsTest, ModuleWithoutImportsIgnoresOverrides) {
  HostLog log;
  ContextPtr ctx =
      instantiated("fac", nullptr,
                   {{"my_lib", "mul", as_user_function(mul_override), &log}});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(0, log.calls);
}

} // namespace
} // namespace hb_beamr::test
