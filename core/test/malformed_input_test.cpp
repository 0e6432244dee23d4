// Bad input never crashes and always explains itself: empty, truncated,
// random and invalid binaries fail to load with LOAD_FAILED, an import nobody
// provides fails to link, a trapping start function fails to instantiate.
// Each leaves the context in its previous state with a non-empty message.
#include <random>
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using MalformedInputTest = RuntimeTest;

// Loads `bytes` into a fresh context and expects a clean LOAD_FAILED.
void expect_load_failure(ContextPtr ctx, const std::vector<uint8_t> &bytes,
                         const char *what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())));
  EXPECT_FALSE(last_error(ctx.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  EXPECT_EQ(0u, hb_beamr_capi_lib_import_count(ctx.get()));
  EXPECT_EQ(0u, hb_beamr_capi_lib_export_count(ctx.get()));
}

TEST_F(MalformedInputTest, EmptyBuffer) {
  const uint8_t byte = 0;
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
            hb_beamr_capi_lib_load_wasm_module(ctx.get(), &byte, 0));
  EXPECT_FALSE(last_error(ctx.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(MalformedInputTest, TruncatedModule) {
  std::vector<uint8_t> bytes = read_fixture("fac");
  for (size_t keep :
       {size_t{1}, size_t{4}, size_t{7}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + keep);
    expect_load_failure(new_context(), truncated,
                        ("first " + std::to_string(keep) + " bytes").c_str());
  }
}

TEST_F(MalformedInputTest, RandomBytes) {
  std::mt19937 rng(20240601); // fixed seed: failures are reproducible
  for (size_t size : {8, 64, 1000, 65536}) {
    std::vector<uint8_t> bytes(size);
    for (uint8_t &byte : bytes)
      byte = static_cast<uint8_t>(rng());
    expect_load_failure(new_context(), bytes,
                        ("random " + std::to_string(size)).c_str());
  }
}

TEST_F(MalformedInputTest, RandomBytesAfterAValidHeader) {
  std::mt19937 rng(7);
  for (int round = 0; round < 10; ++round) {
    std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d,
                                  0x01, 0x00, 0x00, 0x00};
    // A section id above 12 or a length past the end: always invalid.
    bytes.push_back(0x7f);
    for (int i = 0; i < 200; ++i)
      bytes.push_back(static_cast<uint8_t>(rng()));
    expect_load_failure(new_context(), bytes,
                        ("round " + std::to_string(round)).c_str());
  }
}

TEST_F(MalformedInputTest, BadMagicAndVersion) {
  std::vector<uint8_t> bytes = read_fixture("fac");
  std::vector<uint8_t> bad_magic = bytes;
  bad_magic[1] = 'X';
  expect_load_failure(new_context(), bad_magic, "bad magic");
  std::vector<uint8_t> bad_version = bytes;
  bad_version[4] = 0x02;
  expect_load_failure(new_context(), bad_version, "bad version");
}

TEST_F(MalformedInputTest, ModuleThatFailsValidation) {
  // Well-formed, but the body of a function declared "() -> i32" leaves
  // nothing on the stack.
  const std::vector<uint8_t> bytes = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,       // type: () -> i32
      0x03, 0x02, 0x01, 0x00,                         // function 0: type 0
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,             // code: empty body
  };
  expect_load_failure(new_context(), bytes, "type error in a body");
}

TEST_F(MalformedInputTest, ContextRecoversAfterAFailedLoad) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
      hb_beamr_capi_lib_load_wasm_module(ctx.get(), garbage, sizeof garbage));
  std::vector<uint8_t> bytes = read_fixture("fac");
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0));
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "fac", {f64_val(5.0)}, results, 1));
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
}

TEST_F(MalformedInputTest, UnsatisfiableImportIsLeftUnlinked) {
  ContextPtr ctx = loaded("unsat");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0));
  std::vector<wasm_val_t> results;
  EXPECT_NE(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "call_missing", {}, results, 1));
  EXPECT_TRUE(contains(last_error(ctx.get()), "env.missing"))
      << last_error(ctx.get());
}

TEST_F(MalformedInputTest, TrappingStartFunctionFailsInstantiation) {
  ContextPtr ctx = loaded("start_trap");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_INSTANTIATE_FAILED,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0));
  EXPECT_TRUE(contains(last_error(ctx.get()), "unreachable"))
      << last_error(ctx.get());
  EXPECT_NE(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  std::vector<wasm_val_t> results;
  EXPECT_NE(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx.get(), "never_reached", {}, results, 1));
}

TEST_F(MalformedInputTest, CppErrorKinds) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  const uint8_t garbage[] = {1, 2, 3};
  Status status = ctx->load(garbage, sizeof garbage);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::load, status.error().kind);
  EXPECT_FALSE(status.error().message.empty());
  EXPECT_EQ(status.error().message, ctx->last_error());
  EXPECT_EQ(State::context_created, ctx->state());

  std::vector<uint8_t> unsat = read_fixture("unsat");
  ASSERT_TRUE(ctx->load(unsat.data(), unsat.size())) << ctx->last_error();
  status = ctx->instantiate(nullptr, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::link, status.error().kind);
  EXPECT_EQ(State::module_loaded, ctx->state());

  std::unique_ptr<Context> starter = Context::create();
  ASSERT_TRUE(starter);
  std::vector<uint8_t> start_trap = read_fixture("start_trap");
  ASSERT_TRUE(starter->load(start_trap.data(), start_trap.size()));
  status = starter->instantiate(nullptr, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::instantiate, status.error().kind);
}

} // namespace
} // namespace hb_beamr::test
