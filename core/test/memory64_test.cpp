// A memory64 module (fac64.wat): it loads and runs, and the host memory API
// works on a 64-bit memory, both through the C facade and the C++ API.
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

constexpr uint64_t kPage = 65536;

class Memory64Test : public InstantiatedTest {
protected:
  Memory64Test() : InstantiatedTest("fac64", nullptr, Feature::memory64) {}

  int32_t load_byte(uint64_t addr) {
    return call_i32(ctx_.get(), "load_byte",
                    {i64_val(static_cast<int64_t>(addr))});
  }
  uint64_t size() {
    uint64_t bytes = 0;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_memory_size(ctx_.get(), &bytes));
    return bytes;
  }
};

TEST_F(Memory64Test, FunctionsRun) {
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "fac", {f64_val(5.0)}, results, 1))
      << last_error(ctx_.get());
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
}

TEST_F(Memory64Test, ExportedMemoryIsDescribedAs64Bit) {
  size_t count = hb_beamr_capi_lib_export_count(ctx_.get());
  bool found = false;
  for (size_t i = 0; i < count; ++i) {
    hb_beamr_capi_extern_desc_t desc{};
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_export_at(ctx_.get(), i, &desc));
    if (std::string(desc.name) != "memory")
      continue;
    found = true;
    EXPECT_EQ(HB_BEAMR_CAPI_EXTERN_MEMORY, desc.kind);
    EXPECT_STREQ("i64:1..", desc.signature);
  }
  EXPECT_TRUE(found);
}

TEST_F(Memory64Test, HostAndWasmSeeTheSameBytes) {
  EXPECT_EQ(kPage, size());
  const uint8_t value = 0x9c;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(ctx_.get(), 4096, &value, 1));
  EXPECT_EQ(0x9c, load_byte(4096));

  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "store_byte", {i64_val(kPage - 1), i32_val(0x3e)},
                 results, 0))
      << last_error(ctx_.get());
  uint8_t back = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_read(ctx_.get(), kPage - 1, &back, 1));
  EXPECT_EQ(0x3e, back);
}

TEST_F(Memory64Test, BoundsAreChecked) {
  uint8_t byte = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_read(ctx_.get(), kPage, &byte, 1));
  EXPECT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
      hb_beamr_capi_lib_memory_write(ctx_.get(), uint64_t{1} << 40, &byte, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_read(ctx_.get(), UINT64_MAX, &byte, 2));
  // wasm's own out-of-bounds load is a trap.
  std::vector<wasm_val_t> results;
  EXPECT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
      call(ctx_.get(), "load_byte", {i64_val(INT64_C(1) << 40)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
}

TEST_F(Memory64Test, Grow) {
  uint64_t old_pages = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 2, &old_pages))
      << last_error(ctx_.get());
  EXPECT_EQ(1u, old_pages);
  EXPECT_EQ(3 * kPage, size());
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "pages", {}, results, 1));
  EXPECT_EQ(WASM_I64, results[0].kind);
  EXPECT_EQ(3, results[0].of.i64);
  const uint8_t value = 5;
  EXPECT_EQ(
      HB_BEAMR_CAPI_LIB_SUCCESS,
      hb_beamr_capi_lib_memory_write(ctx_.get(), 3 * kPage - 1, &value, 1));
  EXPECT_EQ(5, load_byte(3 * kPage - 1));
  // Far beyond what any host can provide.
  EXPECT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
      hb_beamr_capi_lib_memory_grow(ctx_.get(), uint64_t{1} << 47, nullptr));
  EXPECT_EQ(3 * kPage, size());
}

using Memory64CppTest = RuntimeTest;

TEST_F(Memory64CppTest, MemoryIs64) {
  HB_BEAMR_REQUIRE(Feature::memory64);
  std::unique_ptr<Context> ctx64 = Context::create();
  std::unique_ptr<Context> ctx32 = Context::create();
  ASSERT_TRUE(ctx64 && ctx32);
  std::vector<uint8_t> bytes64 = read_fixture("fac64");
  std::vector<uint8_t> bytes32 = read_fixture("mem_bounded");
  ASSERT_TRUE(ctx64->load(bytes64.data(), bytes64.size()))
      << ctx64->last_error();
  ASSERT_TRUE(ctx32->load(bytes32.data(), bytes32.size()))
      << ctx32->last_error();
  ASSERT_TRUE(ctx64->instantiate(nullptr, {})) << ctx64->last_error();
  ASSERT_TRUE(ctx32->instantiate(nullptr, {})) << ctx32->last_error();

  Result<bool> is64 = ctx64->memory_is64();
  ASSERT_TRUE(is64) << is64.error().message;
  EXPECT_TRUE(is64.value());
  Result<bool> is32 = ctx32->memory_is64();
  ASSERT_TRUE(is32) << is32.error().message;
  EXPECT_FALSE(is32.value());

  Result<uint64_t> size = ctx64->memory_size();
  ASSERT_TRUE(size);
  EXPECT_EQ(kPage, size.value());
  Result<uint64_t> old_pages = ctx64->memory_grow(1);
  ASSERT_TRUE(old_pages) << old_pages.error().message;
  EXPECT_EQ(1u, old_pages.value());

  const uint32_t word = 0xfeedbeef;
  ASSERT_TRUE(ctx64->memory_write(2 * kPage - 4, &word, sizeof word));
  uint32_t back = 0;
  ASSERT_TRUE(ctx64->memory_read(2 * kPage - 4, &back, sizeof back));
  EXPECT_EQ(word, back);
  Status past = ctx64->memory_read(2 * kPage - 3, &back, sizeof back);
  ASSERT_FALSE(past);
  EXPECT_EQ(ErrorKind::out_of_bounds, past.error().kind);
}

} // namespace
} // namespace hb_beamr::test
