// Exported globals through the C facade (values.wat: "counter" mut i32 = 7,
// "answer" i64 = 42, "ratio" mut f64 = 0.5): reads, writes seen by wasm,
// wasm's writes seen by the host, and refused writes (wrong type, immutable,
// unknown name, not a global) that leave the value unchanged.
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

class GlobalsTest : public InstantiatedTest {
protected:
  GlobalsTest() : InstantiatedTest("values") {}

  wasm_val_t get(const char *name) {
    wasm_val_t value{};
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              hb_beamr_capi_lib_global_get(ctx_.get(), name, &value))
        << name << ": " << last_error(ctx_.get());
    return value;
  }
  hb_beamr_capi_lib_rc_t set(const char *name, wasm_val_t value) {
    return hb_beamr_capi_lib_global_set(ctx_.get(), name, &value);
  }
};

TEST_F(GlobalsTest, ReadsInitialValues) {
  wasm_val_t counter = get("counter");
  EXPECT_EQ(WASM_I32, counter.kind);
  EXPECT_EQ(7, counter.of.i32);
  wasm_val_t answer = get("answer");
  EXPECT_EQ(WASM_I64, answer.kind);
  EXPECT_EQ(42, answer.of.i64);
  wasm_val_t ratio = get("ratio");
  EXPECT_EQ(WASM_F64, ratio.kind);
  EXPECT_DOUBLE_EQ(0.5, ratio.of.f64);
}

TEST_F(GlobalsTest, HostWriteIsSeenByWasm) {
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, set("counter", i32_val(-100)))
      << last_error(ctx_.get());
  EXPECT_EQ(-100, get("counter").of.i32);
  EXPECT_EQ(-100, call_i32(ctx_.get(), "get_counter", {}));
}

TEST_F(GlobalsTest, WasmWriteIsSeenByHost) {
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "bump_counter", {}, results, 0));
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "bump_counter", {}, results, 0));
  EXPECT_EQ(9, get("counter").of.i32);
}

TEST_F(GlobalsTest, F64GlobalWrite) {
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, set("ratio", f64_val(-2.75)))
      << last_error(ctx_.get());
  EXPECT_DOUBLE_EQ(-2.75, get("ratio").of.f64);
}

TEST_F(GlobalsTest, WrongTypeIsInvalidArgumentAndChangesNothing) {
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            set("counter", i64_val(1)));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            set("counter", f32_val(1)));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT, set("ratio", i32_val(1)));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT, set("ratio", f32_val(1)));
  EXPECT_EQ(7, get("counter").of.i32);
  EXPECT_DOUBLE_EQ(0.5, get("ratio").of.f64);
  EXPECT_EQ(7, call_i32(ctx_.get(), "get_counter", {}));
}

TEST_F(GlobalsTest, ImmutableIsRefusedAndChangesNothing) {
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            set("answer", i64_val(1)));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  EXPECT_EQ(42, get("answer").of.i64);
}

TEST_F(GlobalsTest, UnknownNameIsALookupFailure) {
  wasm_val_t value = i32_val(123);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_global_get(ctx_.get(), "no_such_global", &value));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            set("no_such_global", i32_val(1)));
}

TEST_F(GlobalsTest, FunctionExportIsNotAGlobal) {
  wasm_val_t value{};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_global_get(ctx_.get(), "get_counter", &value));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            set("get_counter", i32_val(1)));
  EXPECT_EQ(7, call_i32(ctx_.get(), "get_counter", {}));
}

TEST_F(GlobalsTest, GlobalsArePerContext) {
  ContextPtr other = instantiated("values");
  ASSERT_TRUE(other);
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, set("counter", i32_val(1000)));
  wasm_val_t value{};
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_global_get(other.get(), "counter", &value));
  EXPECT_EQ(7, value.of.i32);
}

} // namespace
} // namespace hb_beamr::test
