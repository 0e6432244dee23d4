// The compiled-module cache: the same bytes compile once while any context
// holds the module; other bytes, or a new runtime, compile afresh.
#include <gtest/gtest.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/runtime.hpp"
#include "test_support.hpp"

namespace {

using hb_beamr::Context;
using hb_beamr::runtime::module_cache_stats;

std::unique_ptr<Context> load_bytes(const std::vector<uint8_t> &bytes) {
  auto ctx = Context::create();
  EXPECT_TRUE(ctx->load(bytes.data(), bytes.size()).ok()) << ctx->last_error();
  return ctx;
}

class ModuleCacheTest : public hb_beamr::test::RuntimeTest {};

TEST_F(ModuleCacheTest, SameBytesCompileOnceWhileHeld) {
  const auto fac = hb_beamr::test::read_fixture("fac");
  const auto before = module_cache_stats();
  auto first = load_bytes(fac);
  auto second = load_bytes(fac);
  auto third = load_bytes(fac);
  const auto after = module_cache_stats();
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 2u);
  EXPECT_EQ(after.entries, before.entries + 1);

  // Shared modules still make independent instances.
  for (auto *ctx : {first.get(), second.get(), third.get()})
    ASSERT_TRUE(ctx->instantiate(nullptr, {}).ok()) << ctx->last_error();
  std::vector<wasm_val_t> results;
  ASSERT_TRUE(second->call("fac", {WASM_F64_VAL(5.0)}, results).ok());
  EXPECT_EQ(results.at(0).of.f64, 120.0);
}

TEST_F(ModuleCacheTest, DifferentBytesAreNotShared) {
  const auto fac = hb_beamr::test::read_fixture("fac");
  auto other = fac;
  other.push_back(0); // trailing junk: a different (invalid) binary
  const auto before = module_cache_stats();
  auto good = load_bytes(fac);
  auto bad = Context::create();
  EXPECT_FALSE(bad->load(other.data(), other.size()).ok());
  const auto after = module_cache_stats();
  EXPECT_EQ(after.hits, before.hits);
}

TEST_F(ModuleCacheTest, EntryGoesWithItsLastContext) {
  const auto fac = hb_beamr::test::read_fixture("fac");
  const auto before = module_cache_stats();
  load_bytes(fac).reset();
  EXPECT_EQ(module_cache_stats().entries, before.entries);
  auto again = load_bytes(fac);
  EXPECT_EQ(module_cache_stats().misses - before.misses, 2u);
}

TEST_F(ModuleCacheTest, NewRuntimeDoesNotReuseOldModules) {
  const auto fac = hb_beamr::test::read_fixture("fac");
  auto held = load_bytes(fac);
  hb_beamr::runtime::destroy();
  ASSERT_TRUE(hb_beamr::runtime::init(nullptr).ok());
  const auto before = module_cache_stats();
  auto fresh = load_bytes(fac);
  EXPECT_EQ(module_cache_stats().misses - before.misses, 1u);
  ASSERT_TRUE(fresh->instantiate(nullptr, {}).ok()) << fresh->last_error();
}

} // namespace
