// Precompiled modules: serialize_module in one context, load_precompiled_module
// in a fresh one, and the module runs; corrupt or foreign bytes are a clean
// LOAD_FAILED, never a crash.
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

class PrecompiledTest : public RuntimeTest {
protected:
  // The serialized form of fixture `name`, or empty (failure recorded).
  std::vector<uint8_t> serialized(const std::string &name) {
    ContextPtr ctx = loaded(name);
    if (!ctx)
      return {};
    wasm_byte_vec_t out{};
    hb_beamr_capi_lib_rc_t rc =
        hb_beamr_capi_lib_serialize_module(ctx.get(), &out);
    if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
      ADD_FAILURE() << "serialize_module: " << hb_beamr_capi_lib_rc_name(rc)
                    << ": " << last_error(ctx.get());
      return {};
    }
    std::vector<uint8_t> bytes(out.data, out.data + out.size);
    wasm_byte_vec_delete(&out);
    return bytes;
  }

  void expect_precompiled_load_failure(const std::vector<uint8_t> &bytes,
                                       const char *what) {
    SCOPED_TRACE(what);
    ContextPtr ctx = new_context();
    ASSERT_TRUE(ctx);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
              hb_beamr_capi_lib_load_precompiled_module(ctx.get(), bytes.data(),
                                                        bytes.size()));
    EXPECT_FALSE(last_error(ctx.get()).empty());
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
              hb_beamr_capi_lib_get_state(ctx.get()));
  }
};

TEST_F(PrecompiledTest, RoundTripInAFreshContext) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::vector<uint8_t> bytes = serialized("fac");
  ASSERT_FALSE(bytes.empty());

  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_precompiled_module(ctx.get(), bytes.data(),
                                                      bytes.size()))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0))
      << last_error(ctx.get());
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "fac", {f64_val(5.0)}, results, 1))
      << last_error(ctx.get());
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
}

TEST_F(PrecompiledTest, RoundTripKeepsImportsAndExports) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::vector<uint8_t> bytes = serialized("pow");
  ASSERT_FALSE(bytes.empty());
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_precompiled_module(ctx.get(), bytes.data(),
                                                      bytes.size()))
      << last_error(ctx.get());
  ASSERT_EQ(1u, hb_beamr_capi_lib_import_count(ctx.get()));
  hb_beamr_capi_extern_desc_t desc{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_import_at(ctx.get(), 0, &desc));
  EXPECT_STREQ("my_lib", desc.module_name);
  EXPECT_STREQ("mul", desc.name);
  EXPECT_STREQ("(FF)F", desc.signature);
  ASSERT_EQ(1u, hb_beamr_capi_lib_export_count(ctx.get()));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_export_at(ctx.get(), 0, &desc));
  EXPECT_STREQ("pow", desc.name);
  EXPECT_STREQ("(Fi)F", desc.signature);

  // And it runs, with its import answered.
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_SUCCESS,
      hb_beamr_capi_lib_instantiate(
          ctx.get(),
          as_user_function(
              [](hb_beamr_capi_lib_context_t *,
                 const hb_beamr_capi_import_info_t *, const wasm_val_t *args,
                 size_t, wasm_val_t *results, size_t, void *) -> wasm_trap_t * {
                results[0] = f64_val(args[0].of.f64 * args[1].of.f64);
                return nullptr;
              }),
          nullptr, 0))
      << last_error(ctx.get());
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "pow", {f64_val(3.0), i32_val(3)}, results, 1));
  EXPECT_DOUBLE_EQ(27.0, results[0].of.f64);
}

TEST_F(PrecompiledTest, SerializeAfterInstantiation) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  wasm_byte_vec_t out{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_serialize_module(ctx.get(), &out))
      << last_error(ctx.get());
  EXPECT_GT(out.size, 0u);
  wasm_byte_vec_delete(&out);
}

TEST_F(PrecompiledTest, SerializeBeforeLoadIsInvalidState) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  wasm_byte_vec_t out{};
  EXPECT_TRUE(invalid_state_error(
      ctx.get(), hb_beamr_capi_lib_serialize_module(ctx.get(), &out),
      "CONTEXT_CREATED", {"serializ", "MODULE_LOADED"}));
}

TEST_F(PrecompiledTest, SerializedModuleOutlivesItsRuntime) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  // The bytes are plain data: a new runtime of the same build accepts them.
  std::vector<uint8_t> bytes = serialized("fac");
  ASSERT_FALSE(bytes.empty());
  hb_beamr_capi_lib_destroy_runtime_global();
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_init_runtime_global(nullptr));
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_precompiled_module(ctx.get(), bytes.data(),
                                                      bytes.size()))
      << last_error(ctx.get());
}

TEST_F(PrecompiledTest, CorruptOrForeignBytesFailToLoad) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::vector<uint8_t> bytes = serialized("fac");
  ASSERT_GT(bytes.size(), 64u);

  {
    ContextPtr ctx = new_context();
    ASSERT_TRUE(ctx);
    EXPECT_EQ(
        HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
        hb_beamr_capi_lib_load_precompiled_module(ctx.get(), bytes.data(), 0))
        << "empty";
  }
  expect_precompiled_load_failure(
      std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2),
      "first half");
  expect_precompiled_load_failure(
      std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16),
      "first 16 bytes");

  std::vector<uint8_t> bad_header = bytes;
  for (size_t i = 0; i < 4; ++i)
    bad_header[i] ^= 0xff;
  expect_precompiled_load_failure(bad_header, "header bytes flipped");

  std::vector<uint8_t> garbage(bytes.size());
  for (size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<uint8_t>(i * 131 + 17);
  expect_precompiled_load_failure(garbage, "garbage");

  // A WebAssembly binary is not a precompiled module.
  expect_precompiled_load_failure(read_fixture("fac"), "plain wasm");
}

TEST_F(PrecompiledTest, PrecompiledLoadInWrongStateIsInvalidState) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::vector<uint8_t> bytes = serialized("fac");
  ASSERT_FALSE(bytes.empty());
  ContextPtr ctx = loaded("fac");
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(invalid_state_error(ctx.get(),
                                  hb_beamr_capi_lib_load_precompiled_module(
                                      ctx.get(), bytes.data(), bytes.size()),
                                  "MODULE_LOADED",
                                  {"load", "CONTEXT_CREATED"}));
}

TEST_F(PrecompiledTest, CppRoundTrip) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::unique_ptr<Context> source = Context::create();
  ASSERT_TRUE(source);
  std::vector<uint8_t> wasm = read_fixture("fac64");
  ASSERT_TRUE(source->load(wasm.data(), wasm.size())) << source->last_error();
  Result<std::vector<uint8_t>> bytes = source->serialize_module();
  ASSERT_TRUE(bytes) << bytes.error().message;

  std::unique_ptr<Context> copy = Context::create();
  ASSERT_TRUE(copy);
  ASSERT_TRUE(
      copy->load_precompiled(bytes.value().data(), bytes.value().size()))
      << copy->last_error();
  EXPECT_EQ(source->exports().size(), copy->exports().size());
  ASSERT_TRUE(copy->instantiate(nullptr, {})) << copy->last_error();
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(copy->call("fac", {f64_val(4.0)}, results)) << copy->last_error();
  EXPECT_DOUBLE_EQ(24.0, results.at(0).of.f64);

  std::unique_ptr<Context> broken = Context::create();
  ASSERT_TRUE(broken);
  Status status = broken->load_precompiled(wasm.data(), wasm.size());
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::load, status.error().kind);
}

} // namespace
} // namespace hb_beamr::test
