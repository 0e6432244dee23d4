// The small naming and value helpers of types.hpp, state.hpp and result.hpp.
#include <string>

#include "hb_beamr/result.hpp"
#include "hb_beamr/state.hpp"
#include "hb_beamr/types.hpp"
#include "hb_beamr_capi_lib.h"

#include <gtest/gtest.h>

namespace hb_beamr {
namespace {

TEST(TypesTest, FuncSigText) {
  EXPECT_EQ("()", (FuncSig{{}, {}}).text());
  EXPECT_EQ("(FF)F",
            (FuncSig{{ValType::f64, ValType::f64}, {ValType::f64}}).text());
  FuncSig all{{ValType::i32, ValType::i64, ValType::f32, ValType::f64,
               ValType::v128, ValType::funcref, ValType::externref},
              {ValType::i32, ValType::f64}};
  EXPECT_EQ("(iIfFVre)iF", all.text());
}

TEST(TypesTest, FuncSigEquality) {
  FuncSig a{{ValType::i32}, {ValType::i64}};
  FuncSig b{{ValType::i32}, {ValType::i64}};
  FuncSig c{{ValType::i64}, {ValType::i32}};
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
}

TEST(TypesTest, StateNamesMatchTheCFacade) {
  for (int i = 0; i <= static_cast<int>(State::runtime_destroyed); ++i)
    EXPECT_STREQ(
        hb_beamr_capi_lib_state_name(static_cast<hb_beamr_capi_lib_state_t>(i)),
        state_name(static_cast<State>(i)));
  EXPECT_STREQ("MODULE_LOADED", state_name(State::module_loaded));
  EXPECT_STREQ("RUNTIME_DESTROYED", state_name(State::runtime_destroyed));
  // The numbering is shared with hb_beamr_capi_lib_state_t.
  EXPECT_EQ(static_cast<int>(HB_BEAMR_CAPI_LIB_STATE_TRAPPED),
            static_cast<int>(State::trapped));
  EXPECT_EQ(static_cast<int>(HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED),
            static_cast<int>(State::runtime_destroyed));
}

TEST(TypesTest, ErrorKindNames) {
  EXPECT_STREQ("allocation", error_kind_name(ErrorKind::allocation));
  EXPECT_STREQ("engine_init", error_kind_name(ErrorKind::engine_init));
  EXPECT_STREQ("load", error_kind_name(ErrorKind::load));
  EXPECT_STREQ("instantiate", error_kind_name(ErrorKind::instantiate));
  EXPECT_STREQ("link", error_kind_name(ErrorKind::link));
  EXPECT_STREQ("lookup", error_kind_name(ErrorKind::lookup));
  EXPECT_STREQ("trap", error_kind_name(ErrorKind::trap));
  EXPECT_STREQ("invalid_state", error_kind_name(ErrorKind::invalid_state));
  EXPECT_STREQ("invalid_argument",
               error_kind_name(ErrorKind::invalid_argument));
  EXPECT_STREQ("out_of_bounds", error_kind_name(ErrorKind::out_of_bounds));
  EXPECT_STREQ("unsupported", error_kind_name(ErrorKind::unsupported));
}

TEST(TypesTest, ExternKindNames) {
  EXPECT_STREQ("func", extern_kind_name(ExternKind::func));
  EXPECT_STREQ("global", extern_kind_name(ExternKind::global));
  EXPECT_STREQ("table", extern_kind_name(ExternKind::table));
  EXPECT_STREQ("memory", extern_kind_name(ExternKind::memory));
}

TEST(TypesTest, WasmValkinds) {
  wasm_valkind_t kind = 0xff;
  ASSERT_TRUE(to_wasm_valkind(ValType::i32, &kind));
  EXPECT_EQ(WASM_I32, kind);
  ASSERT_TRUE(to_wasm_valkind(ValType::i64, &kind));
  EXPECT_EQ(WASM_I64, kind);
  ASSERT_TRUE(to_wasm_valkind(ValType::f32, &kind));
  EXPECT_EQ(WASM_F32, kind);
  ASSERT_TRUE(to_wasm_valkind(ValType::f64, &kind));
  EXPECT_EQ(WASM_F64, kind);
  ASSERT_TRUE(to_wasm_valkind(ValType::funcref, &kind));
  EXPECT_EQ(WASM_FUNCREF, kind);
  ASSERT_TRUE(to_wasm_valkind(ValType::externref, &kind));
  EXPECT_EQ(WASM_EXTERNREF, kind);
  EXPECT_FALSE(to_wasm_valkind(ValType::v128, &kind));
}

TEST(TypesTest, ZeroValues) {
  wasm_val_t i32 = zero_value(ValType::i32);
  EXPECT_EQ(WASM_I32, i32.kind);
  EXPECT_EQ(0, i32.of.i32);
  wasm_val_t i64 = zero_value(ValType::i64);
  EXPECT_EQ(WASM_I64, i64.kind);
  EXPECT_EQ(0, i64.of.i64);
  wasm_val_t f32 = zero_value(ValType::f32);
  EXPECT_EQ(WASM_F32, f32.kind);
  EXPECT_EQ(0.0f, f32.of.f32);
  wasm_val_t f64 = zero_value(ValType::f64);
  EXPECT_EQ(WASM_F64, f64.kind);
  EXPECT_EQ(0.0, f64.of.f64);
  wasm_val_t func = zero_value(ValType::funcref);
  EXPECT_EQ(WASM_FUNCREF, func.kind);
  EXPECT_EQ(nullptr, func.of.ref);
  wasm_val_t ext = zero_value(ValType::externref);
  EXPECT_EQ(WASM_EXTERNREF, ext.kind);
  EXPECT_EQ(nullptr, ext.of.ref);
}

TEST(TypesTest, ResultHoldsValueOrError) {
  Result<int> good(5);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(5, good.value());
  Result<int> bad(make_error(ErrorKind::lookup, "no such thing"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(ErrorKind::lookup, bad.error().kind);
  EXPECT_EQ("no such thing", bad.error().message);
  Status ok;
  EXPECT_TRUE(ok);
  Status failed(make_error(ErrorKind::trap, "boom"));
  EXPECT_FALSE(failed);
  EXPECT_EQ("boom", failed.error().message);
}

} // namespace
} // namespace hb_beamr
