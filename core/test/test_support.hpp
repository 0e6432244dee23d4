// Shared helpers for the core tests: fixture loading, a per-test runtime with a
// context leak check, RAII for C facade contexts, and value constructors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <wasm.h>

#include "hb_beamr_capi_lib.h"

// Let GoogleTest print return codes and states by name in failure messages.
void PrintTo(hb_beamr_capi_lib_rc_t rc, std::ostream *os);
void PrintTo(hb_beamr_capi_lib_state_t state, std::ostream *os);

namespace hb_beamr::test {

/// Bytes of `<name>.wasm` from the directory in $HB_BEAMR_FIXTURE_DIR. Throws
/// std::runtime_error naming the path if it cannot be read, so a missing
/// fixture fails the test with a clear message instead of a load error.
std::vector<uint8_t> read_fixture(const std::string &name);

/// Destroys a C facade context when its owner goes out of scope.
struct ContextDeleter {
  void operator()(hb_beamr_capi_lib_context_t *ctx) const {
    hb_beamr_capi_lib_destroy_context(ctx);
  }
};
using ContextPtr = std::unique_ptr<hb_beamr_capi_lib_context_t, ContextDeleter>;

/// Base fixture: a fresh process-wide runtime for each test, destroyed after
/// it, and a check that every context the test created was released.
class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;

  /// A new context; records a failure and returns null if creation fails.
  ContextPtr new_context();
  /// A new context with fixture `name` loaded, or null (failure recorded).
  ContextPtr loaded(const std::string &name);
  /// A new context with fixture `name` loaded and instantiated, or null
  /// (failure recorded).
  ContextPtr instantiated(
      const std::string &name,
      hb_beamr_capi_host_function_t default_function = nullptr,
      const std::vector<hb_beamr_capi_native_symbol_t> &overrides = {});

private:
  size_t live_before_ = 0;
};

/// What only some engine builds can do. Tests of these skip, with the reason,
/// on an engine that cannot.
enum class Feature {
  memory64,      ///< 64-bit linear memories
  precompiled,   ///< serialize_module / load_precompiled_module
  simd,          ///< modules using v128 (fixture simd.wat)
  fuel,          ///< ContextOptions::fuel_per_call
  deterministic, ///< ContextOptions::deterministic
  table_limits,  ///< ContextOptions::max_table_elements on a growable table
  suspend,       ///< Context::instantiate_suspending and start_call
};

/// Whether the engine compiled in (runtime::engine_name()) can do `feature`.
bool engine_supports(Feature feature);

/// Why the engine compiled in cannot do `feature`, for GTEST_SKIP().
std::string missing_reason(Feature feature);

/// A RuntimeTest whose ctx_ holds fixture `fixture` instantiated for each
/// test (host functions: `host` for every import). With `needs`, skips (with
/// the reason) on engines that lack that feature.
class InstantiatedTest : public RuntimeTest {
protected:
  explicit InstantiatedTest(std::string fixture,
                            hb_beamr_capi_host_function_t host = nullptr,
                            std::optional<Feature> needs = std::nullopt)
      : fixture_(std::move(fixture)), host_(host), needs_(needs) {}
  void SetUp() override;
  void TearDown() override;

  ContextPtr ctx_;

private:
  std::string fixture_;
  hb_beamr_capi_host_function_t host_;
  std::optional<Feature> needs_;
};

/// The opaque pointer form the C facade takes for host functions.
inline void *as_user_function(hb_beamr_capi_host_function_t function) {
  return reinterpret_cast<void *>(function);
}

wasm_val_t i32_val(int32_t v);
wasm_val_t i64_val(int64_t v);
wasm_val_t f32_val(float v);
wasm_val_t f64_val(double v);

/// Calls export `name` with `args`, sizing the result array to `num_results`.
hb_beamr_capi_lib_rc_t call(hb_beamr_capi_lib_context_t *ctx, const char *name,
                            std::vector<wasm_val_t> args,
                            std::vector<wasm_val_t> &results,
                            size_t num_results);

/// Calls an export that returns one i32 (and takes the given args); on failure
/// records it (with the last error) and returns `fallback`.
int32_t call_i32(hb_beamr_capi_lib_context_t *ctx, const char *name,
                 std::vector<wasm_val_t> args, int32_t fallback = -1);

std::string last_error(hb_beamr_capi_lib_context_t *ctx);
bool contains(const std::string &haystack, const std::string &needle);

/// Success if `rc` is INVALID_STATE and the context's last error names the
/// state it is in (`current`) and at least one of `operation_words`: the
/// operation attempted or a state it would need.
::testing::AssertionResult
invalid_state_error(hb_beamr_capi_lib_context_t *ctx, hb_beamr_capi_lib_rc_t rc,
                    const char *current,
                    const std::vector<const char *> &operation_words);

} // namespace hb_beamr::test

/// Skips the current test, printing the reason, unless the engine compiled in
/// can do `feature` (a hb_beamr::test::Feature). Use in a test body or SetUp.
#define HB_BEAMR_REQUIRE(feature)                                              \
  if (!::hb_beamr::test::engine_supports(feature))                             \
  GTEST_SKIP() << ::hb_beamr::test::missing_reason(feature)
