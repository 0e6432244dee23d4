// Limits that hold when a context is given none (issue 13, item 3): a
// hostile module's table.grow(2^31-1) returns -1 at once instead of filling
// 16 GiB with null references.
#include <cstdint>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using DefaultLimitsTest = RuntimeTest;

// (module (table 0 funcref)
//   (func (export "grow") (param i32) (result i32)
//     (table.grow 0 (ref.null func) (local.get 0))))
const std::vector<uint8_t> growable_table = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // (i32) -> i32
    0x03, 0x02, 0x01, 0x00,                         // one function
    0x04, 0x04, 0x01, 0x70, 0x00, 0x00,             // table 0 funcref
    0x07, 0x08, 0x01, 0x04, 'g',  'r',  'o',  'w',  0x00, 0x00, // export "grow"
    0x0a, 0x0b, 0x01, 0x09, 0x00,                    // code, no locals
    0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b}; // table.grow

TEST_F(DefaultLimitsTest, HugeTableGrowFailsWithoutAnyLimitGiven) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), growable_table.data(),
                static_cast<uint32_t>(growable_table.size())))
      << last_error(ctx.get());
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0))
      << last_error(ctx.get());
  EXPECT_EQ(-1, call_i32(ctx.get(), "grow", {i32_val(INT32_MAX)}));
  // Ordinary growth is untouched: the table had 0 elements.
  EXPECT_EQ(0, call_i32(ctx.get(), "grow", {i32_val(1000)}));
}

} // namespace
} // namespace hb_beamr::test
