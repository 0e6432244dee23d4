// Traps through the C facade: each kind of trap is WAMR_CALL_FAILED with the
// trap text in get_last_error, moves the context to TRAPPED, and leaves it
// usable (the next good call succeeds and returns it to INSTANTIATED).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return text;
}

// env.fail: traps with the message in user_data (a const char*), or with a
// default one when there is none.
wasm_trap_t *fail_with_message(hb_beamr_capi_lib_context_t *ctx,
                               const hb_beamr_capi_import_info_t *,
                               const wasm_val_t *, size_t, wasm_val_t *, size_t,
                               void *user_data) {
  const char *message = user_data != nullptr
                            ? static_cast<const char *>(user_data)
                            : "env.fail called";
  return hb_beamr_capi_lib_trap_new(ctx, message);
}

class TrapsTest : public InstantiatedTest {
protected:
  TrapsTest() : InstantiatedTest("traps", fail_with_message) {}

  // Calls `name`, expects a trap whose message contains `text` (case
  // insensitive), then checks the context recovers.
  void expect_trap(const char *name, std::vector<wasm_val_t> args,
                   size_t num_results, const std::string &text) {
    std::vector<wasm_val_t> results;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
              call(ctx_.get(), name, std::move(args), results, num_results));
    EXPECT_TRUE(contains(lower(last_error(ctx_.get())), lower(text)))
        << "\"" << last_error(ctx_.get()) << "\" lacks \"" << text << "\"";
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
              hb_beamr_capi_lib_get_state(ctx_.get()));
    expect_recovers();
  }

  void expect_recovers() {
    EXPECT_EQ(42, call_i32(ctx_.get(), "answer", {}));
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
              hb_beamr_capi_lib_get_state(ctx_.get()));
  }
};

TEST_F(TrapsTest, Unreachable) {
  expect_trap("unreachable", {}, 0, "unreachable");
}

TEST_F(TrapsTest, IntegerDivideByZero) {
  expect_trap("div_by_zero", {i32_val(7)}, 1, "divide by zero");
}

TEST_F(TrapsTest, OutOfBoundsMemoryAccess) {
  expect_trap("oob_load", {}, 1, "out of bounds");
}

TEST_F(TrapsTest, CallStackExhausted) {
  expect_trap("stack_overflow", {}, 0, "stack");
}

TEST_F(TrapsTest, EveryTrapKindInOneContext) {
  // Traps one after another, without good calls between them, then recovers.
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx_.get(), "stack_overflow", {}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx_.get(), "oob_load", {}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx_.get(), "div_by_zero", {i32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx_.get(), "unreachable", {}, results, 0));
  EXPECT_TRUE(contains(lower(last_error(ctx_.get())), "unreachable"))
      << "the message is the latest trap's: " << last_error(ctx_.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
  expect_recovers();
}

TEST_F(TrapsTest, MemoryIsIntactAfterATrap) {
  const uint8_t data[] = {9, 8, 7};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_write(ctx_.get(), 500, data, sizeof data));
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx_.get(), "oob_load", {}, results, 1));
  uint8_t back[3] = {};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_memory_read(ctx_.get(), 500, back, sizeof back));
  EXPECT_EQ(0, memcmp(data, back, sizeof data));
}

// A host function's trap: its message reaches get_last_error intact.
class HostTrapTest : public RuntimeTest {};

TEST_F(HostTrapTest, MessageOfHostTrapIsPreserved) {
  static const char kMessage[] = "custom failure #123: disk on fire";
  ContextPtr ctx =
      instantiated("traps", nullptr,
                   {{"env", "fail", as_user_function(fail_with_message),
                     const_cast<char *>(kMessage)}});
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "host_trap", {}, results, 0));
  EXPECT_TRUE(contains(last_error(ctx.get()), kMessage))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx.get()));
  EXPECT_EQ(42, call_i32(ctx.get(), "answer", {}));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(HostTrapTest, HostTrapsWithDifferentMessagesInTurn) {
  ContextPtr ctx = instantiated("traps", fail_with_message);
  ASSERT_TRUE(ctx);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "host_trap", {}, results, 0));
  EXPECT_TRUE(contains(last_error(ctx.get()), "env.fail called"))
      << last_error(ctx.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call(ctx.get(), "unreachable", {}, results, 0));
  EXPECT_FALSE(contains(last_error(ctx.get()), "env.fail called"))
      << "stale message: " << last_error(ctx.get());
}

TEST_F(HostTrapTest, TrapNewMakesATrap) {
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  wasm_trap_t *trap = hb_beamr_capi_lib_trap_new(ctx.get(), "unused");
  ASSERT_NE(nullptr, trap);
  // Not returned to wasm, so it is ours to delete.
  wasm_trap_delete(trap);
}

} // namespace
} // namespace hb_beamr::test
