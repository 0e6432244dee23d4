// Per-context limits: memory and table sizes (and the memory's default),
// fuel, native stack, and the deterministic mode. A limit hit inside
// WebAssembly behaves as the spec says (grow returns -1, exhaustion traps) and
// never harms other contexts.
#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"
#include "test_support.hpp"

namespace {

using hb_beamr::Context;
using hb_beamr::ContextOptions;
using hb_beamr::ErrorKind;

class LimitsTest : public hb_beamr::test::RuntimeTest {
protected:
  // A context for fixture `name` with `options`, instantiated (or null, with
  // the failure recorded).
  std::unique_ptr<Context> make(const char *name, ContextOptions options) {
    const auto bytes = hb_beamr::test::read_fixture(name);
    auto ctx = Context::create(options);
    if (!ctx->load(bytes.data(), bytes.size()).ok() ||
        !ctx->instantiate(nullptr, {}).ok()) {
      ADD_FAILURE() << ctx->last_error();
      return nullptr;
    }
    return ctx;
  }

  static int32_t call_i32(Context &ctx, const char *name,
                          std::vector<wasm_val_t> args) {
    std::vector<wasm_val_t> results;
    hb_beamr::Status s = ctx.call(name, args, results);
    EXPECT_TRUE(s.ok()) << name << ": " << ctx.last_error();
    return s.ok() ? results.at(0).of.i32 : INT32_MIN;
  }
};

TEST_F(LimitsTest, MemoryGrowPastTheLimitFailsInsideWasm) {
  ContextOptions options;
  options.max_memory_bytes = 3 * 65536;
  auto ctx = make("limits", options);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(call_i32(*ctx, "grow", {WASM_I32_VAL(2)}), 1);  // 1 -> 3 pages: ok
  EXPECT_EQ(call_i32(*ctx, "grow", {WASM_I32_VAL(1)}), -1); // 4 pages: refused
  EXPECT_EQ(ctx->memory_size().value(), 3u * 65536);
  // The host is held to the same limit.
  EXPECT_FALSE(ctx->memory_grow(1).ok());
  // An unlimited context on the same runtime is not affected.
  auto free_ctx = make("limits", {});
  ASSERT_TRUE(free_ctx);
  EXPECT_EQ(call_i32(*free_ctx, "grow", {WASM_I32_VAL(8)}), 1);
}

TEST_F(LimitsTest, InitialMemoryOverTheLimitFailsToInstantiate) {
  ContextOptions options;
  options.max_memory_bytes = 1024; // less than the module's one page
  const auto bytes = hb_beamr::test::read_fixture("limits");
  auto ctx = Context::create(options);
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()).ok()) << ctx->last_error();
  hb_beamr::Status s = ctx->instantiate(nullptr, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::instantiate);
}

TEST_F(LimitsTest, TableGrowPastTheLimitFailsInsideWasm) {
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::table_limits);
  ContextOptions options;
  options.max_table_elements = 4;
  auto ctx = make("limits", options);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(call_i32(*ctx, "table_grow", {WASM_I32_VAL(3)}), 1);
  EXPECT_EQ(call_i32(*ctx, "table_grow", {WASM_I32_VAL(1)}), -1);
}

TEST_F(LimitsTest, FuelRunsOutWithATrapAndRefillsEachCall) {
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::fuel);
  ContextOptions options;
  options.fuel_per_call = 100000;
  auto ctx = make("loop", options);
  ASSERT_TRUE(ctx);
  // Each call gets the full budget again: many small calls all succeed.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call_i32(*ctx, "count", {WASM_I32_VAL(1000)}), 1000);
  std::vector<wasm_val_t> results;
  hb_beamr::Status s = ctx->call("count", {WASM_I32_VAL(10000000)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::trap);
  EXPECT_NE(s.error().message.find("fuel"), std::string::npos)
      << s.error().message;
  // An infinite loop is stopped by fuel alone.
  s = ctx->call("spin", {}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::trap);
  EXPECT_EQ(call_i32(*ctx, "count", {WASM_I32_VAL(10)}), 10);
}

TEST_F(LimitsTest, SmallerStackExhaustsSooner) {
  // 5000 frames fit in the default stack but not in 64 KiB.
  auto roomy = make("limits", {});
  ASSERT_TRUE(roomy);
  EXPECT_EQ(call_i32(*roomy, "depth", {WASM_I32_VAL(5000)}), 5000);
  ContextOptions options;
  options.max_stack_bytes = 64 * 1024;
  auto tight = make("limits", options);
  ASSERT_TRUE(tight);
  std::vector<wasm_val_t> results;
  hb_beamr::Status s = tight->call("depth", {WASM_I32_VAL(5000)}, results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::trap);
  EXPECT_EQ(s.error().message, "call stack exhausted");
  EXPECT_EQ(call_i32(*tight, "depth", {WASM_I32_VAL(10)}), 10);
}

TEST_F(LimitsTest, LargeStackLimitIsAccepted) {
  // 8 MiB is more than Wasmtime's default async stack: the engine must still
  // be made (a naive config makes Wasmtime abort the process). Only a shallow
  // call runs: this thread's own stack may be smaller than 8 MiB.
  ContextOptions options;
  options.max_stack_bytes = 8 << 20;
  auto ctx = make("limits", options);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(call_i32(*ctx, "depth", {WASM_I32_VAL(100)}), 100);
}

TEST_F(LimitsTest, AbsurdStackIsRefused) {
  ContextOptions options;
  options.max_stack_bytes = uint64_t{1} << 40;
  const auto bytes = hb_beamr::test::read_fixture("limits");
  auto ctx = Context::create(options);
  hb_beamr::Status s = ctx->load(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::invalid_argument);
}

TEST_F(LimitsTest, DeterministicModeCanonicalizesNaNs) {
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::deterministic);
  auto nan_bits = [&](ContextOptions options) -> uint64_t {
    auto ctx = make("limits", options);
    if (!ctx)
      return 0;
    std::vector<wasm_val_t> results;
    EXPECT_TRUE(ctx->call("nan_add", {}, results).ok()) << ctx->last_error();
    return results.empty() ? 0 : static_cast<uint64_t>(results[0].of.i64);
  };
  ContextOptions deterministic;
  deterministic.deterministic = true;
  EXPECT_EQ(nan_bits(deterministic), 0x7ff8000000000000u);
  // The hardware's own answer may keep the payload; either way both
  // deterministic runs agree bit for bit.
  EXPECT_EQ(nan_bits(deterministic), nan_bits(deterministic));
}

TEST_F(LimitsTest, EnginesWithoutAFeatureRefuseItClearly) {
  for (auto [feature, options] :
       {std::pair{hb_beamr::test::Feature::fuel,
                  ContextOptions{0, 0, 1000, 0, false}},
        std::pair{hb_beamr::test::Feature::deterministic,
                  ContextOptions{0, 0, 0, 0, true}}}) {
    if (hb_beamr::test::engine_supports(feature))
      continue;
    const auto bytes = hb_beamr::test::read_fixture("limits");
    auto ctx = Context::create(options);
    hb_beamr::Status s = ctx->load(bytes.data(), bytes.size());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::unsupported) << s.error().message;
  }
}

} // namespace

namespace {

TEST_F(LimitsTest, EnginesForStackLimitsGoWithTheirContexts) {
  // Each distinct stack limit gets an engine of its own (Wasmtime fixes the
  // stack per engine); it must be freed with the last context that uses it,
  // or every start with a new max_stack would leave one behind for good.
  const size_t before = hb_beamr::runtime::engines_alive();
  for (uint64_t k = 1; k <= 20; ++k) {
    ContextOptions options;
    options.max_stack_bytes = (k + 1) << 20;
    auto first = make("limits", options);
    auto second = make("limits", options); // same profile, same engine
    ASSERT_TRUE(first && second);
    EXPECT_EQ(before + 1, hb_beamr::runtime::engines_alive()) << k << " MiB";
  }
  EXPECT_EQ(before, hb_beamr::runtime::engines_alive());
}

} // namespace

namespace {

// Default memory limit, kNoLimit, and growth that never moves a memory.
// grow64.wat's memory.grow: the old size in pages, or -1.
int64_t grow_pages(Context &ctx, int64_t pages) {
  std::vector<wasm_val_t> results;
  const hb_beamr::Status s = ctx.call("grow", {WASM_I64_VAL(pages)}, results);
  EXPECT_TRUE(s.ok()) << ctx.last_error();
  return s.ok() ? results.at(0).of.i64 : INT64_MIN;
}

constexpr int64_t kPages4GiB = 65536;

TEST_F(LimitsTest, Memory64StopsAt4GiBWithoutAnyLimitGiven) {
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::memory64);
  auto ctx = make("grow64", {});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(1, grow_pages(*ctx, kPages4GiB - 1));
  EXPECT_EQ(-1, grow_pages(*ctx, 1));
  EXPECT_EQ(ContextOptions::kDefaultMaxMemoryBytes, ctx->memory_size().value());
  // The host is held to it too.
  EXPECT_FALSE(ctx->memory_grow(1).ok());
}

TEST_F(LimitsTest, NoLimitLiftsTheMemoryDefault) {
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::memory64);
  ContextOptions options;
  options.max_memory_bytes = ContextOptions::kNoLimit;
  auto ctx = make("grow64", options);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(1, grow_pages(*ctx, kPages4GiB));
  const uint8_t byte = 7;
  EXPECT_TRUE(ctx->memory_write(uint64_t{4} << 30, &byte, 1).ok());
}

TEST_F(LimitsTest, GrowthStopsAtALargerLimitInPlace) {
  // A limit above the default: the memory reserves it and grows to it, and
  // the grow past it fails (it is never moved to a larger mapping).
  HB_BEAMR_REQUIRE(hb_beamr::test::Feature::memory64);
  ContextOptions options;
  options.max_memory_bytes = (uint64_t{8} << 30) + 65536;
  auto ctx = make("grow64", options);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(1, grow_pages(*ctx, kPages4GiB));
  EXPECT_EQ(1 + kPages4GiB, grow_pages(*ctx, kPages4GiB));
  EXPECT_EQ(-1, grow_pages(*ctx, 1));
}

TEST_F(LimitsTest, MemoryZeroClearsOnlyItsRange) {
  auto ctx = make("limits", {});
  ASSERT_TRUE(ctx);
  const std::vector<uint8_t> ones(3 * 4096 + 10, 1);
  ASSERT_TRUE(ctx->memory_write(100, ones.data(), ones.size()).ok());
  ASSERT_TRUE(ctx->memory_zero(101, ones.size() - 2).ok());
  std::vector<uint8_t> back(ones.size());
  ASSERT_TRUE(ctx->memory_read(100, back.data(), back.size()).ok());
  EXPECT_EQ(1, back.front());
  EXPECT_EQ(1, back.back());
  for (size_t i = 1; i + 1 < back.size(); ++i)
    ASSERT_EQ(0, back[i]) << "at " << i;
  const hb_beamr::Status outside = ctx->memory_zero(65535, 2);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(ErrorKind::out_of_bounds, outside.error().kind);
  EXPECT_TRUE(ctx->memory_zero(65536, 0).ok());
}

} // namespace
