// A module with 20,000 exported functions starts and calls its last export,
// and its default memory and table (exported after them) are still found
// (issue 13, item 9). Starting such a module once took 11 s on Wasmtime,
// because finding the defaults walked the export list from its start for
// each export; the time is measured in bench/, this only checks the result.
#include <cstdint>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

using ManyExportsTest = RuntimeTest;

constexpr uint32_t function_count = 20000;

// Appends `value` as LEB128: signed (sleb) for i32.const operands, else
// unsigned. Every value here is non-negative, where both agree except for a
// sign bit that signed LEB128 must keep clear.
void leb(std::vector<uint8_t> &out, uint64_t value, bool sign = false) {
  for (;;) {
    const uint8_t low = value & 0x7f;
    value >>= 7;
    if (value == 0 && !(sign && (low & 0x40))) {
      out.push_back(low);
      return;
    }
    out.push_back(low | 0x80);
  }
}

void section(std::vector<uint8_t> &module, uint8_t id,
             const std::vector<uint8_t> &content) {
  module.push_back(id);
  leb(module, content.size());
  module.insert(module.end(), content.begin(), content.end());
}

void name(std::vector<uint8_t> &out, const std::string &text) {
  leb(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

// Functions f0..f19999 (f<i> returns i), then a one-page memory "memory" and
// a funcref table "__indirect_function_table", exported last.
std::vector<uint8_t> many_exports_module() {
  std::vector<uint8_t> module = {0x00, 0x61, 0x73, 0x6d,
                                 0x01, 0x00, 0x00, 0x00};
  section(module, 1, {0x01, 0x60, 0x00, 0x01, 0x7f}); // () -> i32
  std::vector<uint8_t> funcs;
  leb(funcs, function_count);
  funcs.insert(funcs.end(), function_count, 0x00);
  section(module, 3, funcs);
  section(module, 4, {0x01, 0x70, 0x00, 0x01});
  section(module, 5, {0x01, 0x00, 0x01});
  std::vector<uint8_t> exports;
  leb(exports, function_count + 2);
  for (uint32_t i = 0; i < function_count; ++i) {
    name(exports, "f" + std::to_string(i));
    exports.push_back(0x00);
    leb(exports, i);
  }
  name(exports, "memory");
  exports.insert(exports.end(), {0x02, 0x00});
  name(exports, "__indirect_function_table");
  exports.insert(exports.end(), {0x01, 0x00});
  section(module, 7, exports);
  std::vector<uint8_t> code;
  leb(code, function_count);
  for (uint32_t i = 0; i < function_count; ++i) {
    std::vector<uint8_t> body = {0x00, 0x41}; // no locals, i32.const
    leb(body, i, true);
    body.push_back(0x0b);
    leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  section(module, 10, code);
  return module;
}

TEST_F(ManyExportsTest, StartsAndCallsTheLastOf20000Exports) {
  ContextPtr ctx = new_context();
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = many_exports_module();
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), bytes.data(), static_cast<uint32_t>(bytes.size())))
      << last_error(ctx.get());
  ASSERT_EQ(function_count + 2, hb_beamr_capi_lib_export_count(ctx.get()));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_instantiate(ctx.get(), nullptr, nullptr, 0))
      << last_error(ctx.get());
  EXPECT_EQ(int32_t(function_count - 1),
            call_i32(ctx.get(),
                     ("f" + std::to_string(function_count - 1)).c_str(), {}));
  EXPECT_EQ(0, call_i32(ctx.get(), "f0", {}));
  uint64_t size = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_size(ctx.get(), &size))
      << last_error(ctx.get());
  EXPECT_EQ(65536u, size);
  // The table was found: its one entry is null, not "no function table".
  EXPECT_EQ(
      HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
      hb_beamr_capi_lib_call_indirect(ctx.get(), 0, 0, nullptr, 0, nullptr));
  EXPECT_TRUE(contains(last_error(ctx.get()), "is null"))
      << last_error(ctx.get());
}

} // namespace
} // namespace hb_beamr::test
