// Linear memory through the C facade: size, bounds-checked reads and writes
// (exact last byte, one past, straddling, uint64 overflow), grow within and
// beyond the maximum, a module without memory, and a malloc-based workflow
// with a C-compiled module.
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

constexpr uint64_t kPage = 65536;

// mem_bounded.wat: one page, at most two.
class BoundedMemoryTest : public InstantiatedTest {
protected:
  BoundedMemoryTest() : InstantiatedTest("mem_bounded") {}

  uint64_t size() {
    uint64_t bytes = 0;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_memory_size(ctx_.get(), &bytes));
    return bytes;
  }
  hb_beamr_capi_lib_rc_t write(uint64_t offset, const void *data,
                               size_t length) {
    return hb_beamr_capi_lib_memory_write(ctx_.get(), offset, data, length);
  }
  hb_beamr_capi_lib_rc_t read(uint64_t offset, void *out, size_t length) {
    return hb_beamr_capi_lib_memory_read(ctx_.get(), offset, out, length);
  }
  int32_t wasm_load8(uint64_t addr) {
    return call_i32(ctx_.get(), "load8", {i32_val(static_cast<int32_t>(addr))});
  }
};

TEST_F(BoundedMemoryTest, SizeIsOnePage) { EXPECT_EQ(kPage, size()); }

TEST_F(BoundedMemoryTest, LastByteIsReadableAndWritable) {
  const uint8_t value = 0x5a;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, write(kPage - 1, &value, 1));
  uint8_t back = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, read(kPage - 1, &back, 1));
  EXPECT_EQ(value, back);
  EXPECT_EQ(0x5a, wasm_load8(kPage - 1)); // wasm sees the host's write
}

TEST_F(BoundedMemoryTest, HostSeesWasmWrites) {
  std::vector<wasm_val_t> results;
  ASSERT_EQ(
      HB_BEAMR_CAPI_LIB_SUCCESS,
      call(ctx_.get(), "store8", {i32_val(1234), i32_val(0xc3)}, results, 0));
  uint8_t back = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, read(1234, &back, 1));
  EXPECT_EQ(0xc3, back);
}

TEST_F(BoundedMemoryTest, WholeMemoryRoundTrip) {
  std::vector<uint8_t> pattern(kPage);
  for (size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            write(0, pattern.data(), pattern.size()));
  std::vector<uint8_t> back(kPage, 0);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, read(0, back.data(), back.size()));
  EXPECT_EQ(pattern, back);
}

TEST_F(BoundedMemoryTest, OnePastTheEndIsOutOfBounds) {
  const uint8_t value = 1;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, write(kPage, &value, 1));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  uint8_t out = 0xee;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, read(kPage, &out, 1));
  EXPECT_EQ(0xee, out) << "out-of-bounds read wrote to the output";
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
}

TEST_F(BoundedMemoryTest, StraddlingWriteTouchesNothing) {
  const uint8_t before[4] = {1, 2, 3, 4};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, write(kPage - 4, before, sizeof before));
  const uint8_t straddling[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            write(kPage - 4, straddling, sizeof straddling));
  uint8_t after[4] = {};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, read(kPage - 4, after, sizeof after));
  EXPECT_EQ(0, std::memcmp(before, after, sizeof before))
      << "a rejected write changed memory";
}

TEST_F(BoundedMemoryTest, StraddlingReadTouchesNothing) {
  uint8_t out[8];
  std::memset(out, 0xee, sizeof out);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            read(kPage - 4, out, sizeof out));
  for (uint8_t byte : out)
    EXPECT_EQ(0xee, byte) << "a rejected read wrote to the output";
}

TEST_F(BoundedMemoryTest, OffsetPlusLengthOverflowIsRejected) {
  uint8_t buffer[16] = {};
  // offset + length wraps around uint64 to a small, "in bounds" value.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, read(UINT64_MAX, buffer, 2));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            write(UINT64_MAX, buffer, 2));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            read(UINT64_MAX - 7, buffer, 16));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            write(UINT64_MAX - 7, buffer, 16));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, read(UINT64_MAX, buffer, 1));
  // A length that alone wraps the offset: must be rejected before any copy.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, read(16, buffer, SIZE_MAX));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, write(16, buffer, SIZE_MAX));
  // Offsets beyond 4 GiB on a 32-bit memory.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            read(uint64_t{1} << 32, buffer, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            write(uint64_t{1} << 32, buffer, 1));
}

TEST_F(BoundedMemoryTest, GrowWithinMaximum) {
  uint64_t old_pages = 99;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 1, &old_pages))
      << last_error(ctx_.get());
  EXPECT_EQ(1u, old_pages);
  EXPECT_EQ(2 * kPage, size());
  EXPECT_EQ(2, call_i32(ctx_.get(), "pages", {}));
  // The new page is zeroed and usable up to its last byte.
  EXPECT_EQ(0, wasm_load8(2 * kPage - 1));
  const uint8_t value = 0x77;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, write(2 * kPage - 1, &value, 1));
  EXPECT_EQ(0x77, wasm_load8(2 * kPage - 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS, write(2 * kPage, &value, 1));
}

TEST_F(BoundedMemoryTest, GrowByZeroReportsCurrentSize) {
  uint64_t old_pages = 99;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 0, &old_pages));
  EXPECT_EQ(1u, old_pages);
  EXPECT_EQ(kPage, size());
}

TEST_F(BoundedMemoryTest, GrowAcceptsNullOldPages) {
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 1, nullptr));
  EXPECT_EQ(2 * kPage, size());
}

TEST_F(BoundedMemoryTest, GrowPastMaximumIsOutOfBoundsAndChangesNothing) {
  const uint8_t value = 0x42;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, write(kPage - 1, &value, 1));
  uint64_t old_pages = 99;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 2, &old_pages));
  EXPECT_EQ(kPage, size());
  for (uint64_t delta : {uint64_t{1} << 16, uint64_t{1} << 48, UINT64_MAX}) {
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
              hb_beamr_capi_lib_memory_grow(ctx_.get(), delta, nullptr))
        << "delta " << delta;
  }
  EXPECT_EQ(kPage, size());
  EXPECT_EQ(0x42, wasm_load8(kPage - 1));

  // Up to the maximum, then one more page fails.
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 1, &old_pages));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 1, &old_pages));
  EXPECT_EQ(2 * kPage, size());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
}

using NoMemoryTest = RuntimeTest;

TEST_F(NoMemoryTest, MemoryCallsOnAModuleWithoutMemoryFailLookup) {
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  uint64_t bytes = 0;
  uint8_t byte = 0;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_memory_size(ctx.get(), &bytes));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_memory_read(ctx.get(), 0, &byte, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_memory_write(ctx.get(), 0, &byte, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_memory_grow(ctx.get(), 1, nullptr));
}

// memory.c: the host allocates with the module's malloc, as real callers do.
class CMemoryTest : public InstantiatedTest {
protected:
  CMemoryTest() : InstantiatedTest("memory") {}

  uint32_t malloc_bytes(size_t size) {
    return static_cast<uint32_t>(call_i32(
        ctx_.get(), "malloc", {i32_val(static_cast<int32_t>(size))}, 0));
  }
  void free_bytes(uint32_t ptr) {
    std::vector<wasm_val_t> results;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              call(ctx_.get(), "free", {i32_val(static_cast<int32_t>(ptr))},
                   results, 0));
  }
  uint32_t put_string(const std::string &text) {
    uint32_t ptr = malloc_bytes(text.size() + 1);
    EXPECT_NE(0u, ptr);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_memory_write(ctx_.get(), ptr, text.c_str(),
                                             text.size() + 1));
    return ptr;
  }
  std::string get_string(uint32_t ptr) {
    int32_t length = call_i32(ctx_.get(), "str_length",
                              {i32_val(static_cast<int32_t>(ptr))});
    if (length < 0)
      return "<bad length>";
    std::string text(static_cast<size_t>(length), '\0');
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_memory_read(ctx_.get(), ptr, text.data(),
                                            text.size()));
    return text;
  }
  uint64_t size() {
    uint64_t bytes = 0;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_memory_size(ctx_.get(), &bytes));
    return bytes;
  }
};

TEST_F(CMemoryTest, UpperReturnsANewString) {
  uint32_t input = put_string("Hello, wasm world! 123");
  uint32_t output = static_cast<uint32_t>(
      call_i32(ctx_.get(), "upper", {i32_val(static_cast<int32_t>(input))}, 0));
  ASSERT_NE(0u, output);
  EXPECT_NE(input, output);
  EXPECT_EQ("HELLO, WASM WORLD! 123", get_string(output));
  EXPECT_EQ("Hello, wasm world! 123", get_string(input)) << "input modified";
  free_bytes(output);
  free_bytes(input);
}

TEST_F(CMemoryTest, StrLengthOfEmptyAndLongStrings) {
  uint32_t empty = put_string("");
  EXPECT_EQ(0, call_i32(ctx_.get(), "str_length",
                        {i32_val(static_cast<int32_t>(empty))}));
  std::string long_text(10000, 'x');
  uint32_t text = put_string(long_text);
  EXPECT_EQ(10000, call_i32(ctx_.get(), "str_length",
                            {i32_val(static_cast<int32_t>(text))}));
  free_bytes(text);
  free_bytes(empty);
}

TEST_F(CMemoryTest, SumBytesSeesWhatTheHostWrote) {
  std::vector<uint8_t> block(1000);
  uint32_t expected = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    block[i] = static_cast<uint8_t>(i % 251);
    expected += block[i];
  }
  uint32_t ptr = malloc_bytes(block.size());
  ASSERT_NE(0u, ptr);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(ctx_.get(), ptr, block.data(),
                                           block.size()));
  EXPECT_EQ(static_cast<int32_t>(expected),
            call_i32(ctx_.get(), "sum_bytes",
                     {i32_val(static_cast<int32_t>(ptr)),
                      i32_val(static_cast<int32_t>(block.size()))}));
  free_bytes(ptr);
}

TEST_F(CMemoryTest, SizeFollowsGrowthFromInsideWasm) {
  uint64_t before = size();
  // Larger than the whole initial memory: malloc has to grow it.
  uint32_t big = malloc_bytes(4 * before);
  ASSERT_NE(0u, big);
  uint64_t after = size();
  EXPECT_GE(after, before + 4 * before);
  EXPECT_EQ(0u, after % kPage);
  // The end of the new block is addressable from the host.
  const uint8_t value = 1;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(ctx_.get(), big + 4 * before - 1,
                                           &value, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_write(ctx_.get(), after, &value, 1));
  free_bytes(big);
}

TEST_F(CMemoryTest, HostGrowOfAnUnboundedMemory) {
  uint64_t before = size();
  uint64_t old_pages = 0;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 3, &old_pages))
      << last_error(ctx_.get());
  EXPECT_EQ(before / kPage, old_pages);
  EXPECT_EQ(before + 3 * kPage, size());
  // A 32-bit memory can never exceed 65536 pages (4 GiB).
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
            hb_beamr_capi_lib_memory_grow(ctx_.get(), 65536, &old_pages));
  EXPECT_EQ(before + 3 * kPage, size());
  // malloc keeps working after a host-side grow.
  uint32_t ptr = malloc_bytes(100);
  EXPECT_NE(0u, ptr);
  free_bytes(ptr);
}

} // namespace
} // namespace hb_beamr::test
