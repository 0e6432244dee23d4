// The fast path's inline decision for memory commands: what a command costs
// is the memory it touches, not the size of its payload.
#include <gtest/gtest.h>

#include "memory_work.hpp"

namespace hb_beamr::driver {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

Request deserialize(size_t image_bytes) {
  cmd::Deserialize d;
  d.data.assign(image_bytes, 1);
  return d;
}

TEST(MemoryWork, DeserializeCountsTheMemoryItZeroes) {
  // 64 KiB of image into a 1 GiB memory zeroes the other 1 GiB - 64 KiB.
  EXPECT_EQ(memory_work(deserialize(64 << 10), kGiB), kGiB);
  EXPECT_FALSE(runs_inline(deserialize(64 << 10), kGiB));
  EXPECT_TRUE(runs_inline(deserialize(64 << 10), 64 << 10));
}

TEST(MemoryWork, DeserializeIntoASmallerMemoryCountsTheImage) {
  EXPECT_EQ(memory_work(deserialize(2 << 20), 64 << 10), uint64_t{2} << 20);
  EXPECT_FALSE(runs_inline(deserialize(2 << 20), 64 << 10));
}

TEST(MemoryWork, SerializeCountsTheWholeMemory) {
  EXPECT_FALSE(runs_inline(cmd::Serialize{}, kGiB));
  EXPECT_TRUE(runs_inline(cmd::Serialize{}, kInlineMemoryBytes));
}

TEST(MemoryWork, ReadsAndWritesCountTheirLength) {
  EXPECT_TRUE(runs_inline(cmd::Read{0, kInlineMemoryBytes}, kGiB));
  EXPECT_FALSE(runs_inline(cmd::Read{0, kInlineMemoryBytes + 1}, kGiB));
  cmd::Write big;
  big.data.assign(kInlineMemoryBytes + 1, 0);
  EXPECT_FALSE(runs_inline(big, 0));
  EXPECT_TRUE(runs_inline(cmd::Size{}, kGiB));
}

} // namespace
} // namespace hb_beamr::driver
