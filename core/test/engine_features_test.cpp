// What each engine build can do, measured: a feature the engine has works, and
// one it lacks fails cleanly with a clear message (never a crash). The README's
// table of engine features follows these tests. Also behaviour that one engine
// needs extra work in its adapter to give, checked on every engine.
//
// On WAMR (the classic interpreter, engine/wamr/) memory64, legacy exception
// handling and fuel work; precompiled modules and SIMD do not.
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using EngineFeaturesTest = RuntimeTest;

TEST_F(EngineFeaturesTest, Memory64LoadsOrIsRefusedCleanly) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = read_fixture("fac64");
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_load_wasm_module(
      ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (engine_supports(Feature::memory64)) {
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, rc) << last_error(ctx.get());
    return;
  }
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED, rc);
  EXPECT_TRUE(contains(last_error(ctx.get()), "memory64"))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(EngineFeaturesTest, PrecompiledModulesWorkOrAreUnsupported) {
  ContextPtr source = loaded("fac");
  ASSERT_TRUE(source);
  wasm_byte_vec_t out{};
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_serialize_module(source.get(), &out);
  std::vector<uint8_t> bytes(out.data, out.data + out.size);
  wasm_byte_vec_delete(&out);
  ContextPtr target = new_context();
  ASSERT_TRUE(target);
  if (engine_supports(Feature::precompiled)) {
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, rc) << last_error(source.get());
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_load_precompiled_module(
                  target.get(), bytes.data(), bytes.size()))
        << last_error(target.get());
    return;
  }
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED, rc);
  EXPECT_TRUE(contains(last_error(source.get()), "precompiled"))
      << last_error(source.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED,
            hb_beamr_capi_lib_get_state(source.get()));
  // Whatever the bytes, loading them is refused the same way.
  std::vector<uint8_t> wasm = read_fixture("fac");
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED,
            hb_beamr_capi_lib_load_precompiled_module(target.get(), wasm.data(),
                                                      wasm.size()));
  EXPECT_TRUE(contains(last_error(target.get()), "precompiled"))
      << last_error(target.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(target.get()));
}

TEST_F(EngineFeaturesTest, SimdLoadsOrIsRefusedCleanly) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = read_fixture("simd");
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_load_wasm_module(
      ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (engine_supports(Feature::simd)) {
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, rc) << last_error(ctx.get());
    return;
  }
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED, rc);
  EXPECT_FALSE(last_error(ctx.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

// The module's code never grows its memory (traps.wat has no memory.grow or
// memory.size): the host still can, and sees the declared page size.
TEST_F(EngineFeaturesTest, HostGrowsAMemoryItsCodeNeverGrows) {
  ContextPtr ctx =
      instantiated("traps", [](auto...) -> wasm_trap_t * { return nullptr; });
  ASSERT_TRUE(ctx);
  uint64_t bytes = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_size(ctx.get(), &bytes));
  EXPECT_EQ(65536u, bytes);
  uint64_t old_pages = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx.get(), 2, &old_pages))
      << last_error(ctx.get());
  EXPECT_EQ(1u, old_pages);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_size(ctx.get(), &bytes));
  EXPECT_EQ(3 * 65536u, bytes);
  const uint8_t value = 9;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(ctx.get(), bytes - 1, &value, 1));
  EXPECT_EQ(42, call_i32(ctx.get(), "answer", {}));
}

// A host function whose nested call traps may carry on: the trap is its
// business, and the wasm code that called it does not trap.
TEST_F(EngineFeaturesTest, HostFunctionMayIgnoreATrapInANestedCall) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = read_fixture("nested");
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size())) << ctx->last_error();
  int entries = 0;
  std::string nested_error;
  HostFunction callback = [&](HostCall &call) -> Status {
    if (++entries == 1) {
      // write_then_read calls back here (answered below), then loads from
      // far outside memory: a trap.
      std::vector<wasm_val_t> results;
      Status nested =
          call.context.call("write_then_read", {i32_val(0x7ffffff0)}, results);
      nested_error = nested ? "" : nested.error().message;
    }
    call.results[0] = i32_val(7);
    return {};
  };
  ASSERT_TRUE(ctx->instantiate(callback, {})) << ctx->last_error();
  std::vector<wasm_val_t> results;
  Status status = ctx->call("via_host", {i32_val(1)}, results);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(7, results[0].of.i32);
  EXPECT_TRUE(contains(nested_error, "out of bounds")) << nested_error;
  EXPECT_EQ(State::instantiated, ctx->state());
}

// Legacy exception handling, as emscripten emits it (wat2wasm --enable-all):
//   (import "env" "host" (func $host))
//   (tag $e (param i32))
//   (func (export "caught") (result i32)        ;; 15: delegate, rethrow, catch
//     (try (result i32)
//       (do (try (result i32)
//             (do (try (do (throw $e (i32.const 5))) (delegate 0))
//                 (i32.const -1))
//             (catch $e (drop) (rethrow 0))))
//       (catch $e (i32.const 10) (i32.add))))
//   (func (export "uncaught") (result i32) (throw $e (i32.const 1)))
//   (func (export "host_in_try") (result i32)   ;; a host trap is no exception
//     (try (result i32) (do (call $host) (i32.const 1))
//       (catch_all (i32.const -1))))
//   (export "e" (tag $e))                       ;; a tag export, listed last
const std::vector<uint8_t> kLegacyExceptions = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x03, 0x60,
    0x00, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x0c,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x00,
    0x03, 0x04, 0x03, 0x02, 0x02, 0x02, 0x0d, 0x03, 0x01, 0x00, 0x01, 0x07,
    0x27, 0x04, 0x06, 0x63, 0x61, 0x75, 0x67, 0x68, 0x74, 0x00, 0x01, 0x08,
    0x75, 0x6e, 0x63, 0x61, 0x75, 0x67, 0x68, 0x74, 0x00, 0x02, 0x0b, 0x68,
    0x6f, 0x73, 0x74, 0x5f, 0x69, 0x6e, 0x5f, 0x74, 0x72, 0x79, 0x00, 0x03,
    0x01, 0x65, 0x04, 0x00, 0x0a, 0x32, 0x03, 0x1c, 0x00, 0x06, 0x7f, 0x06,
    0x7f, 0x06, 0x40, 0x41, 0x05, 0x08, 0x00, 0x18, 0x00, 0x41, 0x7f, 0x07,
    0x00, 0x1a, 0x09, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x0a, 0x6a, 0x0b, 0x0b,
    0x06, 0x00, 0x41, 0x01, 0x08, 0x00, 0x0b, 0x0c, 0x00, 0x06, 0x7f, 0x10,
    0x00, 0x41, 0x01, 0x19, 0x41, 0x7f, 0x0b, 0x0b};

// Every engine runs legacy exception handling (WAMR natively, Wasmtime
// rewritten). An exception nothing catches fails the call like a trap, with
// a message saying so, and the instance stays usable.
TEST_F(EngineFeaturesTest, LegacyExceptionsRunAndUncaughtOnesTrap) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->load(kLegacyExceptions.data(), kLegacyExceptions.size()))
      << ctx->last_error();
  // The functions are listed whatever the tag export does to the list.
  for (const char *name : {"caught", "uncaught", "host_in_try"}) {
    bool listed = false;
    for (const ExternDesc &e : ctx->exports())
      listed = listed || (e.name == name && e.kind == ExternKind::func);
    EXPECT_TRUE(listed) << name;
  }
  ASSERT_TRUE(ctx->instantiate([](HostCall &) -> Status { return {}; }, {}))
      << ctx->last_error();

  std::vector<wasm_val_t> results;
  ASSERT_TRUE(ctx->call("caught", {}, results)) << ctx->last_error();
  EXPECT_EQ(15, results[0].of.i32);
  Status uncaught = ctx->call("uncaught", {}, results);
  ASSERT_FALSE(uncaught);
  EXPECT_EQ(ErrorKind::trap, uncaught.error().kind);
  EXPECT_TRUE(contains(uncaught.error().message, "exception"))
      << uncaught.error().message;
  EXPECT_EQ(State::trapped, ctx->state());
  ASSERT_TRUE(ctx->call("caught", {}, results)) << ctx->last_error();
  EXPECT_EQ(15, results[0].of.i32);
}

// A host function's trap unwinds through a wasm handler untouched, whatever
// its text (WAMR tells its own exceptions by their text).
TEST_F(EngineFeaturesTest, HostTrapsAreNotCaughtAsExceptions) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  ASSERT_TRUE(ctx->load(kLegacyExceptions.data(), kLegacyExceptions.size()))
      << ctx->last_error();
  const std::string text = "uncaught wasm exception (from the host)";
  ASSERT_TRUE(ctx->instantiate(
      [&](HostCall &) -> Status { return make_error(ErrorKind::trap, text); },
      {}))
      << ctx->last_error();
  std::vector<wasm_val_t> results;
  Status status = ctx->call("host_in_try", {}, results);
  ASSERT_FALSE(status) << "caught: " << results[0].of.i32;
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, text)) << status.error().message;
  ASSERT_TRUE(ctx->call("caught", {}, results)) << ctx->last_error();
  EXPECT_EQ(15, results[0].of.i32);
}

// Fuel, where the engine meters: running out traps with "all fuel consumed"
// and the next call has its whole budget again; elsewhere, refused at load.
TEST_F(EngineFeaturesTest, FuelMetersCallsOrIsRefusedCleanly) {
  ContextOptions options;
  options.fuel_per_call = 100000;
  std::unique_ptr<Context> ctx = Context::create(options);
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = read_fixture("loop");
  Status loaded = ctx->load(bytes.data(), bytes.size());
  if (!engine_supports(Feature::fuel)) {
    ASSERT_FALSE(loaded);
    EXPECT_EQ(ErrorKind::unsupported, loaded.error().kind);
    EXPECT_TRUE(contains(loaded.error().message, "fuel"))
        << loaded.error().message;
    return;
  }
  ASSERT_TRUE(loaded) << ctx->last_error();
  ASSERT_TRUE(ctx->instantiate(nullptr, {})) << ctx->last_error();
  std::vector<wasm_val_t> results;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ctx->call("count", {i32_val(5000)}, results))
        << ctx->last_error();
    EXPECT_EQ(5000, results[0].of.i32);
  }
  Status spent = ctx->call("spin", {}, results);
  ASSERT_FALSE(spent);
  EXPECT_EQ(ErrorKind::trap, spent.error().kind);
  EXPECT_EQ("all fuel consumed", spent.error().message);
  ASSERT_TRUE(ctx->call("count", {i32_val(5000)}, results))
      << ctx->last_error();
  EXPECT_EQ(5000, results[0].of.i32);
}

} // namespace
} // namespace hb_beamr::test
