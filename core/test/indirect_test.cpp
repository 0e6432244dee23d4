// Calls through the exported function table (indirect.wat: 0 add "(ii)i",
// 1 fac "(F)F", 2 a trap, 3 and 4 null, 5+ out of range). Every bad index or
// signature is an error return, never a crash, and the context stays usable.
#include <vector>

#include "hb_beamr/context.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {
namespace {

class IndirectTest : public InstantiatedTest {
protected:
  IndirectTest() : InstantiatedTest("indirect") {}

  hb_beamr_capi_lib_rc_t call_at(uint64_t index, std::vector<wasm_val_t> args,
                                 std::vector<wasm_val_t> &results,
                                 size_t num_results) {
    results.assign(num_results, wasm_val_t{});
    return hb_beamr_capi_lib_call_indirect(
        ctx_.get(), index, static_cast<uint32_t>(args.size()), args.data(),
        static_cast<uint32_t>(results.size()), results.data());
  }

  // The context still answers direct and indirect calls.
  void expect_usable() {
    EXPECT_EQ(7, call_i32(ctx_.get(), "add", {i32_val(3), i32_val(4)}));
    std::vector<wasm_val_t> results;
    ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
              call_at(0, {i32_val(1), i32_val(1)}, results, 1))
        << last_error(ctx_.get());
    EXPECT_EQ(2, results[0].of.i32);
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
              hb_beamr_capi_lib_get_state(ctx_.get()));
  }
};

TEST_F(IndirectTest, CallsEntriesOfDifferentSignatures) {
  std::vector<wasm_val_t> results;
  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS,
            call_at(0, {i32_val(2), i32_val(3)}, results, 1))
      << last_error(ctx_.get());
  EXPECT_EQ(WASM_I32, results[0].kind);
  EXPECT_EQ(5, results[0].of.i32);

  ASSERT_EQ(HB_BEAMR_CAPI_LIB_SUCCESS, call_at(1, {f64_val(5.0)}, results, 1))
      << last_error(ctx_.get());
  EXPECT_EQ(WASM_F64, results[0].kind);
  EXPECT_DOUBLE_EQ(120.0, results[0].of.f64);
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
}

TEST_F(IndirectTest, TrappingEntryIsATrap) {
  std::vector<wasm_val_t> results;
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED,
            call_at(2, {}, results, 0));
  EXPECT_TRUE(contains(last_error(ctx_.get()), "unreachable"))
      << last_error(ctx_.get());
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
            hb_beamr_capi_lib_get_state(ctx_.get()));
  expect_usable();
}

TEST_F(IndirectTest, IndexPastTheTableIsInvalidArgument) {
  std::vector<wasm_val_t> results;
  for (uint64_t index :
       {uint64_t{5}, uint64_t{1000}, uint64_t{1} << 32, UINT64_MAX}) {
    EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
              call_at(index, {i32_val(1), i32_val(2)}, results, 1))
        << "index " << index;
    EXPECT_FALSE(last_error(ctx_.get()).empty());
  }
  expect_usable();
}

TEST_F(IndirectTest, NullEntryIsAnErrorNotACrash) {
  // call_indirect on a null entry traps in wasm; the header also allows
  // reporting it as a bad table index. Either way it is a clean error.
  std::vector<wasm_val_t> results;
  for (uint64_t index : {3, 4}) {
    hb_beamr_capi_lib_rc_t rc = call_at(index, {}, results, 0);
    EXPECT_TRUE(rc == HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT ||
                rc == HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED)
        << "index " << index << ": " << hb_beamr_capi_lib_rc_name(rc);
    EXPECT_FALSE(last_error(ctx_.get()).empty());
  }
  expect_usable();
}

TEST_F(IndirectTest, SignatureMismatchIsInvalidArgument) {
  std::vector<wasm_val_t> results;
  // add is (ii)i: wrong types, too few, too many, wrong result count.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call_at(0, {f64_val(1), f64_val(2)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call_at(0, {i32_val(1)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call_at(0, {i32_val(1), i32_val(2), i32_val(3)}, results, 1));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call_at(0, {i32_val(1), i32_val(2)}, results, 0));
  // fac is (F)F: an i64 is not an f64.
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
            call_at(1, {i64_val(5)}, results, 1));
  EXPECT_FALSE(last_error(ctx_.get()).empty());
  expect_usable();
}

using IndirectTableLookupTest = RuntimeTest;

TEST_F(IndirectTableLookupTest, CallWithoutATableIsALookupFailure) {
  ContextPtr ctx = instantiated("fac");
  ASSERT_TRUE(ctx);
  wasm_val_t arg = f64_val(1.0);
  wasm_val_t result{};
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED,
            hb_beamr_capi_lib_call_indirect(ctx.get(), 0, 1, &arg, 1, &result));
  EXPECT_EQ(HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
            hb_beamr_capi_lib_get_state(ctx.get()));
}

TEST_F(IndirectTableLookupTest, CCompiledModuleTableIsFound) {
  // memory.c is linked with --export-table: its table is exported as
  // __indirect_function_table. Entry 0 is always null in LLVM's layout, so
  // this only checks that the table is found (no lookup failure).
  ContextPtr ctx = instantiated("memory");
  ASSERT_TRUE(ctx);
  hb_beamr_capi_lib_rc_t rc =
      hb_beamr_capi_lib_call_indirect(ctx.get(), 0, 0, nullptr, 0, nullptr);
  EXPECT_NE(HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED, rc)
      << last_error(ctx.get());
  EXPECT_NE(HB_BEAMR_CAPI_LIB_SUCCESS, rc);
}

// The C++ API's view of the same table.
TEST_F(IndirectTableLookupTest, CppTableSignatures) {
  std::unique_ptr<Context> ctx = Context::create();
  ASSERT_TRUE(ctx);
  std::vector<uint8_t> bytes = read_fixture("indirect");
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size())) << ctx->last_error();
  ASSERT_TRUE(ctx->instantiate(nullptr, {})) << ctx->last_error();

  Result<FuncSig> add = ctx->table_signature(0);
  ASSERT_TRUE(add) << add.error().message;
  EXPECT_EQ("(ii)i", add.value().text());
  Result<FuncSig> fac = ctx->table_signature(1);
  ASSERT_TRUE(fac) << fac.error().message;
  EXPECT_EQ("(F)F", fac.value().text());
  Result<FuncSig> boom = ctx->table_signature(2);
  ASSERT_TRUE(boom) << boom.error().message;
  EXPECT_EQ("()", boom.value().text());

  Result<FuncSig> past = ctx->table_signature(5);
  ASSERT_FALSE(past);
  EXPECT_EQ(ErrorKind::invalid_argument, past.error().kind);
  EXPECT_FALSE(ctx->table_signature(3)) << "null entry has no signature";

  std::vector<wasm_val_t> results;
  Status status = ctx->call_indirect(1, {f64_val(4.0)}, results);
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_EQ(1u, results.size());
  EXPECT_DOUBLE_EQ(24.0, results[0].of.f64);

  status = ctx->call_indirect(0, {f64_val(4.0)}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::invalid_argument, status.error().kind);
  status = ctx->call_indirect(2, {}, results);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_EQ(State::trapped, ctx->state());
}

} // namespace
} // namespace hb_beamr::test
