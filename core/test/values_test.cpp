// Values across the boundary through the C facade (values.wat): each value
// type round-trips, multi-value results, special floats, and every mismatch
// between a call and the export's signature is INVALID_ARGUMENT (or a lookup
// failure for a missing or non-function export), leaving the context usable.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

class ValuesTest : public InstantiatedTest {
protected:
  ValuesTest() : InstantiatedTest("values") {}

  // Calls a one-argument identity export and returns its single result.
  wasm_val_t identity(const char *name, wasm_val_t arg) {
    std::vector<wasm_val_t> results;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              call(ctx_.get(), name, {arg}, results, 1))
        << last_error(ctx_.get());
    EXPECT_EQ(arg.kind, results[0].kind) << name;
    return results[0];
  }

  wasm_val_t single_result(const char *name) {
    std::vector<wasm_val_t> results;
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, call(ctx_.get(), name, {}, results, 1))
        << last_error(ctx_.get());
    return results[0];
  }

  void expect_still_usable() {
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
              hb_beamr_capi_lib_get_state(ctx_.get()));
    EXPECT_EQ(5, identity("id_i32", i32_val(5)).of.i32);
  }
};

template <typename T> uint64_t bits_of(T value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof value);
  return bits;
}

TEST_F(ValuesTest, I32RoundTrips) {
  for (int32_t v : {0, 1, -1, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()})
    EXPECT_EQ(v, identity("id_i32", i32_val(v)).of.i32);
}

TEST_F(ValuesTest, I64RoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, INT64_C(0x123456789abcdef0),
                    std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()})
    EXPECT_EQ(v, identity("id_i64", i64_val(v)).of.i64);
}

TEST_F(ValuesTest, F32RoundTrips) {
  for (float v :
       {0.0f, -0.0f, 1.5f, -3.25e10f, std::numeric_limits<float>::denorm_min(),
        std::numeric_limits<float>::infinity()})
    EXPECT_EQ(bits_of(v), bits_of(identity("id_f32", f32_val(v)).of.f32));
}

TEST_F(ValuesTest, F64RoundTrips) {
  for (double v : {0.0, -0.0, 3.141592653589793, -1e300,
                   std::numeric_limits<double>::denorm_min(),
                   -std::numeric_limits<double>::infinity()})
    EXPECT_EQ(bits_of(v), bits_of(identity("id_f64", f64_val(v)).of.f64));
}

TEST_F(ValuesTest, NanPassesThrough) {
  EXPECT_TRUE(std::isnan(
      identity("id_f64", f64_val(std::numeric_limits<double>::quiet_NaN()))
          .of.f64));
  EXPECT_TRUE(std::isnan(
      identity("id_f32", f32_val(std::numeric_limits<float>::quiet_NaN()))
          .of.f32));
}

TEST_F(ValuesTest, SpecialFloatsFromWasm) {
  wasm_val_t nan64 = single_result("nan_f64");
  EXPECT_EQ(WASM_F64, nan64.kind);
  EXPECT_TRUE(std::isnan(nan64.of.f64));
  wasm_val_t nan32 = single_result("nan_f32");
  EXPECT_EQ(WASM_F32, nan32.kind);
  EXPECT_TRUE(std::isnan(nan32.of.f32));
  wasm_val_t inf = single_result("inf_f64");
  EXPECT_TRUE(std::isinf(inf.of.f64));
  EXPECT_GT(inf.of.f64, 0);
  wasm_val_t neg_inf = single_result("neg_inf_f32");
  EXPECT_TRUE(std::isinf(neg_inf.of.f32));
  EXPECT_LT(neg_inf.of.f32, 0);
}

TEST_F(ValuesTest, MultiValueResults) {
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call(ctx_.get(), "reverse4",
                 {i32_val(-7), i64_val(INT64_C(1) << 50), f32_val(2.5f),
                  f64_val(-0.125)},
                 results, 4))
      << last_error(ctx_.get());
  EXPECT_EQ(WASM_F64, results[0].kind);
  EXPECT_DOUBLE_EQ(-0.125, results[0].of.f64);
  EXPECT_EQ(WASM_F32, results[1].kind);
  EXPECT_FLOAT_EQ(2.5f, results[1].of.f32);
  EXPECT_EQ(WASM_I64, results[2].kind);
  EXPECT_EQ(INT64_C(1) << 50, results[2].of.i64);
  EXPECT_EQ(WASM_I32, results[3].kind);
  EXPECT_EQ(-7, results[3].of.i32);
}

TEST_F(ValuesTest, NoArgumentsNoResults) {
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            hb_beamr_capi_lib_call_export(ctx_.get(), "nothing", 0, nullptr, 0,
                                          nullptr))
      << last_error(ctx_.get());
}

TEST_F(ValuesTest, WrongArgumentCountIsInvalidArgument) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i32", {}, results, 1));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i32", {i32_val(1), i32_val(2)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "nothing", {i32_val(1)}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "reverse4", {i32_val(1), i64_val(2), f32_val(3)},
                 results, 4));
  expect_still_usable();
}

TEST_F(ValuesTest, WrongArgumentTypeIsInvalidArgument) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i32", {i64_val(1)}, results, 1));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_f64", {f32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i64", {f64_val(1)}, results, 1));
  // Right types in the wrong order.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "reverse4",
                 {i64_val(2), i32_val(1), f32_val(3), f64_val(4)}, results, 4));
  expect_still_usable();
}

TEST_F(ValuesTest, WrongResultCountIsInvalidArgument) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i32", {i32_val(1)}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "id_i32", {i32_val(1)}, results, 2));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call(ctx_.get(), "reverse4",
                 {i32_val(1), i64_val(2), f32_val(3), f64_val(4)}, results, 3));
  expect_still_usable();
}

TEST_F(ValuesTest, UnknownExportIsALookupFailure) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "no_such_export", {}, results, 0));
  EXPECT_TRUE(contains(last_error(ctx_.get()), "no_such_export"))
      << last_error(ctx_.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "", {}, results, 0));
  // Names are exact: no prefix or case folding.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "id_i3", {i32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "ID_I32", {i32_val(1)}, results, 1));
  expect_still_usable();
}

TEST_F(ValuesTest, CallingAGlobalExportIsALookupFailure) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "counter", {}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx_.get(), "answer", {}, results, 1));
  expect_still_usable();
}

using NonFunctionExportTest = RuntimeTest;

TEST_F(NonFunctionExportTest, CallingAMemoryOrTableIsALookupFailure) {
  ContextPtr ctx = instantiated("indirect");
  ContextPtr mem = instantiated("mem_bounded");
  ASSERT_TRUE(ctx && mem);
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(ctx.get(), "__indirect_function_table", {}, results, 0));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            call(mem.get(), "memory", {}, results, 0));
}

using LoopTest = RuntimeTest;

TEST_F(LoopTest, BoundedLoopCompletes) {
  ContextPtr ctx = instantiated("loop");
  ASSERT_TRUE(ctx);
  for (int32_t n : {0, 1, 1000, 10000000})
    EXPECT_EQ(n, call_i32(ctx.get(), "count", {i32_val(n)}));
}

} // namespace
} // namespace hb_beamr::test
