// Valid modules that once took the whole process down while being described
// (issue 13), and the description of exception tags.
//
// Each test runs in a process of its own (gtest_discover_tests), so a module
// that aborts the process fails its own test and no other.
//
// - A table64 whose limits pass 2^32: Wasmtime's wasm_tabletype_limits()
//   aborts on them, so its adapter reads table limits from the binary. The
//   description shows the 64-bit limits; an engine that cannot load such a
//   table (WAMR) may refuse the module with a load error instead.
// - Tags: kind HB_BEAMR_CAPI_EXTERN_TAG, signature the tag's parameters in
//   function notation. WAMR cannot list tags: its adapter drops tag exports
//   at load, so there a tag is simply not listed.
#include <cstdint>
#include <string>
#include <vector>

#include "hb_beamr/types.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using HostileModulesTest = RuntimeTest;

constexpr uint64_t two_to_32 = uint64_t{1} << 32;

bool is_wamr() {
  return std::string(hb_beamr_capi_lib_engine_name()) == "wamr";
}

void leb(std::vector<uint8_t> &out, uint64_t value) {
  do {
    uint8_t b = value & 0x7f;
    value >>= 7;
    out.push_back(value != 0 ? (b | 0x80) : b);
  } while (value != 0);
}

void section(std::vector<uint8_t> &module, uint8_t id,
             const std::vector<uint8_t> &content) {
  module.push_back(id);
  leb(module, content.size());
  module.insert(module.end(), content.begin(), content.end());
}

// A funcref table64 type with the given limits.
std::vector<uint8_t> table64_type(uint64_t min, bool has_max, uint64_t max) {
  std::vector<uint8_t> t = {0x70, uint8_t(has_max ? 0x05 : 0x04)};
  leb(t, min);
  if (has_max)
    leb(t, max);
  return t;
}

const std::vector<uint8_t> header = {0x00, 0x61, 0x73, 0x6d,
                                     0x01, 0x00, 0x00, 0x00};

// (module (table (export "t") i64 <limits> funcref)): about 25 bytes.
std::vector<uint8_t> exported_table64(uint64_t min, bool has_max,
                                      uint64_t max) {
  std::vector<uint8_t> module = header;
  std::vector<uint8_t> tables = {0x01};
  std::vector<uint8_t> type = table64_type(min, has_max, max);
  tables.insert(tables.end(), type.begin(), type.end());
  section(module, 4, tables);
  section(module, 7, {0x01, 0x01, 't', 0x01, 0x00}); // "t": table 0
  return module;
}

// (module (import "m" "t" (table i64 <limits> funcref))).
std::vector<uint8_t> imported_table64(uint64_t min, bool has_max,
                                      uint64_t max) {
  std::vector<uint8_t> module = header;
  std::vector<uint8_t> imports = {0x01, 0x01, 'm', 0x01, 't', 0x01};
  std::vector<uint8_t> type = table64_type(min, has_max, max);
  imports.insert(imports.end(), type.begin(), type.end());
  section(module, 2, imports);
  return module;
}

// Loads `bytes`; on success expects one extern (an import if `import`) with
// kind table and signature `signature`. A load error is accepted on WAMR
// only. Returns the context when loaded.
ContextPtr expect_table(ContextPtr ctx, const std::vector<uint8_t> &bytes,
                        bool import, const std::string &signature) {
  if (!ctx)
    return nullptr;
  hb_beamr_capi_lib_rc_t rc = hb_beamr_capi_lib_load_wasm_module(
      ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
    EXPECT_TRUE(is_wamr()) << hb_beamr_capi_lib_rc_name(rc) << ": "
                           << last_error(ctx.get());
    EXPECT_FALSE(last_error(ctx.get()).empty());
    return nullptr;
  }
  EXPECT_EQ(import ? 1u : 0u, hb_beamr_capi_lib_import_count(ctx.get()));
  EXPECT_EQ(import ? 0u : 1u, hb_beamr_capi_lib_export_count(ctx.get()));
  hb_beamr_capi_extern_desc_t desc{};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            import ? hb_beamr_capi_lib_import_at(ctx.get(), 0, &desc)
                   : hb_beamr_capi_lib_export_at(ctx.get(), 0, &desc));
  EXPECT_EQ(HB_BEAMR_CAPI_EXTERN_TABLE, desc.kind);
  EXPECT_STREQ("t", desc.name);
  EXPECT_STREQ(import ? "m" : "", desc.module_name);
  EXPECT_EQ(signature, desc.signature == nullptr ? "" : desc.signature);
  return ctx;
}

TEST_F(HostileModulesTest, Table64MinimumAbove2To32IsDescribed) {
  std::vector<uint8_t> bytes = exported_table64(two_to_32 + 1, false, 0);
  ASSERT_LE(bytes.size(), 25u);
  ContextPtr ctx = expect_table(new_context(), bytes, false,
                                "r:" + std::to_string(two_to_32 + 1) + "..");
  if (ctx) {
    // Instantiating it asks for 2^32+1 elements: an error, never a crash.
    hb_beamr_capi_lib_rc_t rc =
        hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0);
    if (rc != HB_BEAMR_CAPI_LIB_SUCCESS) {
      EXPECT_FALSE(last_error(ctx.get()).empty());
    }
  }
}

TEST_F(HostileModulesTest, Table64MaximumAbove2To32IsDescribed) {
  expect_table(new_context(), exported_table64(1, true, 2 * two_to_32), false,
               "r:1.." + std::to_string(2 * two_to_32));
}

TEST_F(HostileModulesTest, ImportedTable64Above2To32IsDescribed) {
  expect_table(new_context(),
               imported_table64(two_to_32 + 1, true, 3 * two_to_32), true,
               "r:" + std::to_string(two_to_32 + 1) + ".." +
                   std::to_string(3 * two_to_32));
}

TEST_F(HostileModulesTest, Table64WithinU32KeepsItsLimits) {
  expect_table(new_context(), exported_table64(2, true, 300), false,
               "r:2..300");
}

TEST_F(HostileModulesTest, WideTableIsNotPrecompiled) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  // A precompiled module has no binary to read 64-bit table limits from, so
  // serializing one is refused rather than producing a module whose load
  // would abort the process.
  std::vector<uint8_t> bytes = exported_table64(1, true, 2 * two_to_32);
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  wasm_byte_vec_t out{};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED,
            hb_beamr_capi_lib_serialize_module(ctx.get(), &out));
  EXPECT_TRUE(contains(last_error(ctx.get()), "2^32")) << last_error(ctx.get());
  wasm_byte_vec_delete(&out);
}

TEST_F(HostileModulesTest, NarrowTableStillPrecompiles) {
  HB_BEAMR_REQUIRE(Feature::precompiled);
  std::vector<uint8_t> bytes = exported_table64(2, true, 300);
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  wasm_byte_vec_t out{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_serialize_module(ctx.get(), &out))
      << last_error(ctx.get());
  ContextPtr again = new_context();
  ASSERT_TRUE(again);
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_SUCCESS,
      hb_beamr_capi_lib_load_precompiled_module(
          again.get(), reinterpret_cast<const uint8_t *>(out.data), out.size))
      << last_error(again.get());
  wasm_byte_vec_delete(&out);
  hb_beamr_capi_extern_desc_t desc{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_export_at(again.get(), 0, &desc));
  EXPECT_STREQ("r:2..300", desc.signature);
}

TEST_F(HostileModulesTest, ExportedTagsHaveTheirOwnKindAndSignature) {
  ContextPtr ctx = loaded("tags");
  ASSERT_TRUE(ctx);
  std::vector<std::vector<std::string>> expected = {
      {"tag", "e", "(iI)"}, {"tag", "none", "()"}, {"func", "answer", "()i"}};
  if (is_wamr()) // WAMR's adapter drops tag exports at load: not listed.
    expected = {{"func", "answer", "()i"}};
  ASSERT_EQ(expected.size(), hb_beamr_capi_lib_export_count(ctx.get()));
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("export " + std::to_string(i));
    hb_beamr_capi_extern_desc_t desc{};
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_export_at(ctx.get(), i, &desc));
    EXPECT_EQ(expected[i][0] == "tag" ? HB_BEAMR_CAPI_EXTERN_TAG
                                      : HB_BEAMR_CAPI_EXTERN_FUNC,
              desc.kind);
    EXPECT_STREQ(expected[i][1].c_str(), desc.name);
    EXPECT_STREQ(expected[i][2].c_str(), desc.signature);
  }
}

TEST_F(HostileModulesTest, ImportedTagHasItsOwnKindAndSignature) {
  ContextPtr ctx = loaded("tag_import");
  ASSERT_TRUE(ctx);
  if (is_wamr()) {
    // WAMR's wasm.h knows no tags; its adapter lists no tag imports.
    for (size_t i = 0; i < hb_beamr_capi_lib_import_count(ctx.get()); ++i) {
      hb_beamr_capi_extern_desc_t desc{};
      ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
                hb_beamr_capi_lib_import_at(ctx.get(), i, &desc));
      EXPECT_NE(HB_BEAMR_CAPI_EXTERN_TAG, desc.kind);
    }
    return;
  }
  ASSERT_EQ(1u, hb_beamr_capi_lib_import_count(ctx.get()));
  hb_beamr_capi_extern_desc_t desc{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_import_at(ctx.get(), 0, &desc));
  EXPECT_EQ(HB_BEAMR_CAPI_EXTERN_TAG, desc.kind);
  EXPECT_STREQ("env", desc.module_name);
  EXPECT_STREQ("t", desc.name);
  EXPECT_STREQ("(f)", desc.signature);
}

TEST(ExternKindValues, ExistingValuesAreKept) {
  EXPECT_EQ(0, HB_BEAMR_CAPI_EXTERN_FUNC);
  EXPECT_EQ(1, HB_BEAMR_CAPI_EXTERN_GLOBAL);
  EXPECT_EQ(2, HB_BEAMR_CAPI_EXTERN_TABLE);
  EXPECT_EQ(3, HB_BEAMR_CAPI_EXTERN_MEMORY);
  EXPECT_EQ(4, HB_BEAMR_CAPI_EXTERN_TAG);
  EXPECT_STREQ("tag", extern_kind_name(ExternKind::tag));
}

} // namespace
} // namespace hb_beamr::test
