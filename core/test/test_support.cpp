#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"

void PrintTo(hb_beamr_capi_lib_rc_t rc, std::ostream *os) {
  *os << hb_beamr_capi_lib_rc_name(rc) << " (" << static_cast<int>(rc) << ")";
}

void PrintTo(hb_beamr_capi_lib_state_t state, std::ostream *os) {
  *os << hb_beamr_capi_lib_state_name(state) << " (" << static_cast<int>(state)
      << ")";
}

namespace hb_beamr::test {

std::vector<uint8_t> read_fixture(const std::string &name) {
  const char *dir = std::getenv("HB_BEAMR_FIXTURE_DIR");
  if (dir == nullptr || *dir == '\0')
    throw std::runtime_error("HB_BEAMR_FIXTURE_DIR is not set");
  std::string path = std::string(dir) + "/" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read fixture " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

void RuntimeTest::SetUp() {
  live_before_ = Context::live_count();
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_init_runtime_global(nullptr));
}

void RuntimeTest::TearDown() {
  // Some tests destroy the runtime themselves; destroy it only if it is up.
  if (hb_beamr_capi_lib_runtime_state() ==
      HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED)
    hb_beamr_capi_lib_destroy_runtime_global();
  EXPECT_EQ(live_before_, Context::live_count()) << "a context leaked";
}

ContextPtr RuntimeTest::new_context() {
  ContextPtr ctx(hb_beamr_capi_lib_create_context());
  if (!ctx)
    ADD_FAILURE() << "hb_beamr_capi_lib_create_context returned NULL";
  return ctx;
}

ContextPtr RuntimeTest::loaded(const std::string &name) {
  ContextPtr ctx = new_context();
  if (!ctx)
    return nullptr;
  std::vector<uint8_t> bytes = read_fixture(name);
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_load_wasm_module(
      ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
    ADD_FAILURE() << "loading " << name << ": " << hb_beamr_capi_lib_rc_name(rc)
                  << ": " << last_error(ctx.get());
    return nullptr;
  }
  return ctx;
}

ContextPtr RuntimeTest::instantiated(
    const std::string &name, hb_beamr_capi_host_function_t default_function,
    const std::vector<hb_beamr_capi_native_symbol_t> &overrides) {
  ContextPtr ctx = loaded(name);
  if (!ctx)
    return nullptr;
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_instantiate(
      ctx.get(), as_user_function(default_function), overrides.data(),
      static_cast<uint32_t>(overrides.size()));
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
    ADD_FAILURE() << "instantiating " << name << ": "
                  << hb_beamr_capi_lib_rc_name(rc) << ": "
                  << last_error(ctx.get());
    return nullptr;
  }
  return ctx;
}

wasm_val_t i32_val(int32_t v) {
  wasm_val_t val{};
  val.kind = WASM_I32;
  val.of.i32 = v;
  return val;
}

wasm_val_t i64_val(int64_t v) {
  wasm_val_t val{};
  val.kind = WASM_I64;
  val.of.i64 = v;
  return val;
}

wasm_val_t f32_val(float v) {
  wasm_val_t val{};
  val.kind = WASM_F32;
  val.of.f32 = v;
  return val;
}

wasm_val_t f64_val(double v) {
  wasm_val_t val{};
  val.kind = WASM_F64;
  val.of.f64 = v;
  return val;
}

hb_beamr_capi_lib_rc_t call(hb_beamr_capi_lib_context_t *ctx, const char *name,
                            std::vector<wasm_val_t> args,
                            std::vector<wasm_val_t> &results,
                            size_t num_results) {
  results.assign(num_results, wasm_val_t{});
  return hb_beamr_capi_lib_call_export(
      ctx, name, static_cast<uint32_t>(args.size()), args.data(),
      static_cast<uint32_t>(results.size()), results.data());
}

int32_t call_i32(hb_beamr_capi_lib_context_t *ctx, const char *name,
                 std::vector<wasm_val_t> args, int32_t fallback) {
  std::vector<wasm_val_t> results;
  hb_beamr_capi_lib_rc_t rc = call(ctx, name, std::move(args), results, 1);
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
    ADD_FAILURE() << "calling " << name << ": " << hb_beamr_capi_lib_rc_name(rc)
                  << ": " << last_error(ctx);
    return fallback;
  }
  EXPECT_EQ(WASM_I32, results[0].kind) << name << " result kind";
  return results[0].of.i32;
}

std::string last_error(hb_beamr_capi_lib_context_t *ctx) {
  const char *message = hb_beamr_capi_lib_get_last_error(ctx);
  return message == nullptr ? std::string("<NULL>") : std::string(message);
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

::testing::AssertionResult
invalid_state_error(hb_beamr_capi_lib_context_t *ctx, hb_beamr_capi_lib_rc_t rc,
                    const char *current,
                    const std::vector<const char *> &operation_words) {
  if (rc != HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE)
    return ::testing::AssertionFailure()
           << "rc is " << hb_beamr_capi_lib_rc_name(rc)
           << ", expected INVALID_STATE (last error: \"" << last_error(ctx)
           << "\")";
  std::string message = last_error(ctx);
  if (!contains(message, current))
    return ::testing::AssertionFailure()
           << "\"" << message << "\" does not name the current state "
           << current;
  for (const char *word : operation_words)
    if (contains(message, word))
      return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure
      << "\"" << message
      << "\" names neither the operation nor an expected state; looked for:";
  for (const char *word : operation_words)
    failure << " \"" << word << "\"";
  return failure;
}

void InstantiatedTest::SetUp() {
  RuntimeTest::SetUp();
  if (HasFatalFailure())
    return;
  if (needs_)
    HB_BEAMR_REQUIRE(*needs_);
  ctx_ = instantiated(fixture_, host_);
  ASSERT_TRUE(ctx_);
}

void InstantiatedTest::TearDown() {
  ctx_.reset();
  RuntimeTest::TearDown();
}

bool engine_supports(Feature feature) {
  // Wasmtime has everything.
  if (std::string(runtime::engine_name()) != "wamr")
    return true;
  // This WAMR build (the classic interpreter, engine/wamr/) has memory64 and
  // instruction metering. It has no AOT loader (WAMR cannot build it with
  // exception handling), no SIMD (the classic interpreter has none), no NaN
  // canonicalization, no table limit of its own (only a table whose declared
  // maximum is within the limit is held to it), and no way to suspend a
  // call.
  switch (feature) {
  case Feature::memory64:
  case Feature::fuel: return true;
  case Feature::precompiled:
  case Feature::simd:
  case Feature::deterministic:
  case Feature::table_limits:
  case Feature::suspend: return false;
  }
  return false;
}

std::string missing_reason(Feature feature) {
  const char *what = "";
  switch (feature) {
  case Feature::memory64: what = "memory64"; break;
  case Feature::precompiled: what = "precompiled modules"; break;
  case Feature::simd: what = "SIMD (v128)"; break;
  case Feature::fuel: what = "fuel metering"; break;
  case Feature::deterministic: what = "deterministic mode"; break;
  case Feature::table_limits:
    what = "a table limit below the table's declared maximum";
    break;
  case Feature::suspend: what = "suspendable calls"; break;
  }
  return std::string(what) + " not available on engine " +
         runtime::engine_name() + " in this build";
}

} // namespace hb_beamr::test
