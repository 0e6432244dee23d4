// Legacy exception handling (try / catch / catch_all / delegate / rethrow):
// the fixtures eh_legacy.wat and eh_legacy64.wat, one export per construct,
// with the values the legacy proposal's semantics give. WAMR's classic
// interpreter runs them natively and Wasmtime runs them rewritten to the
// standard form at load time, so this one table of expectations is the
// differential test between the two engines.
#include <cstdint>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

struct Case {
  const char *export_name;
  std::vector<int32_t> args;
  int32_t expected;
};

// What each export returns; -1 would mean a handler ran that must not.
const std::vector<Case> &cases() {
  static const std::vector<Case> all = {
      {"throw_catch", {}, 42},
      {"no_throw", {}, 5},
      {"catch_all", {}, 2},
      {"multi_catch", {0}, 100},
      {"multi_catch", {1}, 1010},
      {"multi_catch", {2}, 2050},
      {"multi_catch", {3}, 3005},
      {"multi_value", {0}, 43},
      {"multi_value", {1}, 65},
      {"block_param", {0}, 11},
      {"block_param", {1}, 111},
      {"rethrow", {}, 1005},
      {"rethrow_outer", {}, 101},
      {"rethrow_in_block", {}, 103},
      {"catch_all_rethrow", {}, 77},
      {"delegate_to_try", {}, 207},
      {"delegate_to_block", {}, 308},
      {"delegate_to_loop", {}, 511},
      {"delegate_from_handler", {}, 612},
      {"delegate_chain", {}, 713},
      {"delegate_to_caller", {}, 409},
      {"try_in_loop", {}, 45},
      {"try_in_if", {1}, 20},
      {"try_in_if", {0}, 30},
      {"branch_out", {0}, 50},
      {"branch_out", {1}, 51},
      {"branch_out", {2}, 52},
      {"no_matching_clause", {}, 88},
      {"throw_deep", {}, 99},
  };
  return all;
}

std::vector<wasm_val_t> i32_args(const std::vector<int32_t> &values) {
  std::vector<wasm_val_t> args;
  for (int32_t v : values)
    args.push_back(i32_val(v));
  return args;
}

class LegacyEhTest : public InstantiatedTest {
protected:
  LegacyEhTest() : InstantiatedTest("eh_legacy") {}

  // An uncaught exception fails the call like a trap and leaves the
  // instance usable.
  void expect_uncaught(const char *name) {
    std::vector<wasm_val_t> results;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
              call(ctx_.get(), name, {}, results, 1));
    EXPECT_TRUE(contains(last_error(ctx_.get()), "exception"))
        << last_error(ctx_.get());
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
              hb_beamr_capi_lib_get_state(ctx_.get()));
    EXPECT_EQ(42, call_i32(ctx_.get(), "throw_catch", {}));
  }
};

TEST_F(LegacyEhTest, EveryConstructGivesTheLegacySemantics) {
  for (const Case &c : cases()) {
    SCOPED_TRACE(std::string(c.export_name) + " with " +
                 std::to_string(c.args.size()) + " args");
    EXPECT_EQ(c.expected,
              call_i32(ctx_.get(), c.export_name, i32_args(c.args), -999));
  }
}

TEST_F(LegacyEhTest, RepeatedCallsStayCorrect) {
  // Handlers keep the caught exception in locals of their own; nothing
  // may leak from one call into the next.
  for (int round = 0; round < 200; ++round) {
    const Case &c = cases()[static_cast<size_t>(round) % cases().size()];
    ASSERT_EQ(c.expected,
              call_i32(ctx_.get(), c.export_name, i32_args(c.args), -999))
        << c.export_name << " in round " << round;
  }
}

TEST_F(LegacyEhTest, UncaughtExceptionFailsTheCallOnly) {
  expect_uncaught("uncaught");
}

TEST_F(LegacyEhTest, UncaughtRethrowFailsTheCallOnly) {
  expect_uncaught("uncaught_rethrow");
}

class LegacyEh64Test : public InstantiatedTest {
protected:
  LegacyEh64Test()
      : InstantiatedTest("eh_legacy64", nullptr, Feature::memory64) {}
};

TEST_F(LegacyEh64Test, HandlersUse64BitAddresses) {
  EXPECT_EQ(1234, call_i32(ctx_.get(), "store_in_handler", {}));
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "delegate_rethrow", {}, results, 1))
      << last_error(ctx_.get());
  EXPECT_EQ(65528, results[0].of.i64);
}

// A function whose `rethrow 0` sits in a try body, not a handler: invalid.
// Written as bytes because wat2wasm refuses it.
const std::vector<uint8_t> kRethrowOutsideCatch = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,             // type 0: [] -> []
    0x03, 0x02, 0x01, 0x00,                         // func 0: type 0
    0x0a, 0x09, 0x01, 0x07, 0x00,                   // code: 1 body, no locals
    0x06, 0x40,                                     //   try (empty)
    0x09, 0x00,                                     //     rethrow 0
    0x0b, 0x0b};                                    //   end, end

TEST_F(RuntimeTest, InvalidLegacyEhIsALoadErrorNamingTheFunction) {
  ContextPtr ctx = new_context();
  ASSERT_NE(nullptr, ctx);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
            hb_beamr_capi_lib_load_wasm_module(
                ctx.get(), kRethrowOutsideCatch.data(),
                static_cast<uint32_t>(kRethrowOutsideCatch.size())));
  const std::string error = last_error(ctx.get());
  if (std::string(hb_beamr_capi_lib_engine_name()) == "wasmtime") {
    // The rewriter validates before it rewrites, and says what and where.
    EXPECT_TRUE(contains(error, "rethrow")) << error;
    EXPECT_TRUE(contains(error, "function 0")) << error;
    EXPECT_TRUE(contains(error, "offset")) << error;
  }
}

// Where section `id` of a well-formed module ends (0 if it has none).
size_t section_end(const std::vector<uint8_t> &bytes, uint8_t id) {
  size_t at = 8; // magic and version
  while (at < bytes.size()) {
    const uint8_t this_id = bytes[at++];
    uint64_t size = 0;
    for (int shift = 0; at < bytes.size(); shift += 7) {
      const uint8_t byte = bytes[at++];
      size |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0)
        break;
    }
    at += size;
    if (this_id == id)
      return at;
  }
  return 0;
}

TEST_F(RuntimeTest, EveryTruncationOfALegacyEhModuleIsALoadError) {
  // Every prefix that ends after the function section promises bodies it
  // lacks, so it is malformed (shorter ones can be valid modules of types
  // alone). None may crash; each must fail with a load error.
  const std::vector<uint8_t> bytes = read_fixture("eh_legacy");
  const size_t functions_end = section_end(bytes, 3);
  ASSERT_GT(functions_end, 0u);
  for (size_t size = functions_end + 1; size < bytes.size(); ++size) {
    ContextPtr ctx = new_context();
    ASSERT_NE(nullptr, ctx);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED,
              hb_beamr_capi_lib_load_wasm_module(ctx.get(), bytes.data(),
                                                 static_cast<uint32_t>(size)))
        << "prefix of " << size << " bytes";
  }
}

} // namespace
} // namespace hb_beamr::test
