// What each engine build can do, measured: a feature the engine has works, and
// one it lacks fails cleanly with a clear message (never a crash). The README's
// table of engine features follows these tests. Also behaviour that one engine
// needs extra work in its adapter to give, checked on every engine.
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

} // namespace
} // namespace hb_beamr::test
