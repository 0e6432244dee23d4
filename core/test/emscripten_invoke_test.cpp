// invoke_* and exceptions through the emscripten provider, on both paths
// (bindings and suspended answers): throws and longjmps caught by the
// invoke around them with the stack restored, three levels of nesting, and
// traps that are not emscripten's propagating unchanged.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "emscripten_test_support.hpp"

namespace hb_beamr::test {
namespace {

using EmscriptenInvokeTest = EmscriptenTest;

TEST_P(EmscriptenInvokeTest, CoversEveryImportOfTheFixture) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  for (const ExternDesc &import : guest.context().imports())
    EXPECT_TRUE(guest.emscripten().covers(import)) << import.name;
}

TEST_P(EmscriptenInvokeTest, InvokeWithoutThrowReturnsTheResult) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  EXPECT_EQ(42, guest.call_i32("no_throw", {i32_val(21)}));
}

TEST_P(EmscriptenInvokeTest, ThrowIsCaughtByItsInvoke) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  EXPECT_EQ(1, guest.call_i32("catch_throw"));
  EXPECT_EQ(0u, guest.emscripten().uncaught_exceptions());
  // The instance goes on as before.
  EXPECT_EQ(8, guest.call_i32("no_throw", {i32_val(4)}));
}

TEST_P(EmscriptenInvokeTest, LongjmpIsCaughtByItsInvoke) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  EXPECT_EQ(11, guest.call_i32("catch_longjmp"));
}

TEST_P(EmscriptenInvokeTest, NestedThreeLevelsDeepCatchesAtEachLevel) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  EXPECT_EQ(1003, guest.call_i32("nested"));
  // And again: no state is left over from the first run.
  EXPECT_EQ(1003, guest.call_i32("nested"));
}

TEST_P(EmscriptenInvokeTest, OtherTrapInsideInvokePropagates) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  Result<std::vector<wasm_val_t>> r = guest.call("trap_inside", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(ErrorKind::trap, r.error().kind);
  EXPECT_TRUE(contains(r.error().message, "unreachable")) << r.error().message;
  EXPECT_EQ(0, guest.call_i32("threw")) << "setThrew must not have run";
  EXPECT_EQ(42, guest.call_i32("no_throw", {i32_val(21)}));
}

TEST_P(EmscriptenInvokeTest, ThrowWithoutInvokeReachesTheHost) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  Result<std::vector<wasm_val_t>> r = guest.call("throw_uncaught", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(ErrorKind::trap, r.error().kind);
  EXPECT_TRUE(contains(r.error().message, "uncaught C++ exception"))
      << r.error().message;
  EXPECT_EQ(1u, guest.emscripten().uncaught_exceptions());
  // A later trap that is not a throw is not mistaken for one.
  Result<std::vector<wasm_val_t>> t = guest.call("trap_inside", {});
  ASSERT_FALSE(t);
  EXPECT_TRUE(contains(t.error().message, "unreachable")) << t.error().message;
}

TEST_P(EmscriptenInvokeTest, ExitRecordsTheCodeAndTraps) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  Result<std::vector<wasm_val_t>> r = guest.call("do_exit", {i32_val(3)});
  ASSERT_FALSE(r);
  EXPECT_EQ(ErrorKind::trap, r.error().kind);
  EXPECT_TRUE(contains(r.error().message, "exit(3)")) << r.error().message;
  ASSERT_TRUE(guest.emscripten().exit_code());
  EXPECT_EQ(3, *guest.emscripten().exit_code());
  EXPECT_EQ(State::trapped, guest.context().state());
}

TEST_P(EmscriptenInvokeTest, AbortTrapsWithAClearMessage) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke");
  ASSERT_TRUE(guest.ready());
  Result<std::vector<wasm_val_t>> r = guest.call("do_abort", {});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "Aborted(): the module called abort"))
      << r.error().message;
}

TEST_P(EmscriptenInvokeTest, WithWasiBothProvidersAnswer) {
  EmscriptenGuest guest(GetParam(), "emsc_wasi");
  ASSERT_TRUE(guest.ready());
  EXPECT_EQ(11, guest.call_i32("run")) << "caught, stack restored through "
                                          "the newer export names";
  EXPECT_EQ("in\nout\n", guest.wasi().take_output(Stream::out));
  for (const ExternDesc &import : guest.context().imports())
    EXPECT_NE(guest.emscripten().covers(import), guest.wasi().covers(import))
        << import.module << "." << import.name;
}

// wasm64: i64 pointers and table indexes, the 48-byte exception header and
// struct tm's 8-byte tm_gmtoff.
class EmscriptenInvoke64Test : public EmscriptenTest {
protected:
  void SetUp() override {
    EmscriptenTest::SetUp();
    if (!IsSkipped())
      HB_BEAMR_REQUIRE(Feature::memory64);
  }
};

TEST_P(EmscriptenInvoke64Test, ThrowIsCaughtByItsInvoke) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke64");
  ASSERT_TRUE(guest.ready());
  for (const ExternDesc &import : guest.context().imports())
    EXPECT_TRUE(guest.emscripten().covers(import)) << import.name;
  EXPECT_EQ(1, guest.call_i32("catch_throw"));
}

TEST_P(EmscriptenInvoke64Test, GmtimeAndResizeHeapTakeWidePointers) {
  EmscriptenGuest guest(GetParam(), "emsc_invoke64");
  ASSERT_TRUE(guest.ready());
  std::string ones(48, '\xff');
  ASSERT_TRUE(guest.context().memory_write(256, ones.data(), ones.size()));
  ASSERT_TRUE(guest.call("gmtime", {i64_val(0), i64_val(256)}));
  uint64_t gmtoff = 1;
  ASSERT_TRUE(guest.context().memory_read(256 + 40, &gmtoff, 8));
  EXPECT_EQ(0u, gmtoff) << "tm_gmtoff is a long at 40";
  Result<std::vector<wasm_val_t>> bad =
      guest.call("gmtime", {i64_val(0), i64_val(int64_t{1} << 40)});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "out of bounds"));
  EXPECT_EQ(0, guest.call_i32("resize_heap", {i64_val(int64_t{1} << 40)}));
  EXPECT_EQ(1, guest.call_i32("resize_heap", {i64_val(2 * 65536)}));
}

INSTANTIATE_TEST_SUITE_P(BothPaths, EmscriptenInvoke64Test,
                         ::testing::Values(Path::bindings, Path::suspended),
                         path_name);

INSTANTIATE_TEST_SUITE_P(BothPaths, EmscriptenInvokeTest,
                         ::testing::Values(Path::bindings, Path::suspended),
                         path_name);

// An answer from `other` that the context refuses (a result of the wrong
// type) must still end the nested call: the call fails as a trap, and no
// suspended call is left behind.
using EmscriptenNestingTest = RuntimeTest;

TEST_F(EmscriptenNestingTest, RefusedNestedAnswerEndsTheNestedCall) {
  HB_BEAMR_REQUIRE(Feature::suspend);
  std::unique_ptr<Context> ctx = Context::create();
  std::vector<uint8_t> bytes = read_fixture("emsc_wasi");
  ASSERT_TRUE(ctx->load(bytes.data(), bytes.size()));
  ASSERT_TRUE(ctx->instantiate_suspending());
  Emscripten emscripten;
  HostFunction wrong_type = [](HostCall &call) {
    call.results[0].kind = WASM_F64;
    call.results[0].of.f64 = 0;
    return Status{};
  };
  const auto slice = std::chrono::microseconds(1000);
  Result<CallProgress> progress = ctx->start_call("run", {}, slice);
  ASSERT_TRUE(progress);
  ASSERT_EQ(CallProgress::awaiting_import, progress.value());
  ImportRequest request = *ctx->pending_import();
  ASSERT_EQ("invoke_vi", request.import->name);
  Status answered = emscripten.answer(
      *ctx, *request.import, request.args->data(), nullptr, wrong_type);
  ASSERT_FALSE(answered);
  EXPECT_EQ(1u, ctx->suspended_calls()) << "only the outer call is left";
  ASSERT_TRUE(ctx->reject_import(answered.error().message));
  progress = ctx->resume(slice);
  ASSERT_FALSE(progress);
  EXPECT_EQ(ErrorKind::trap, progress.error().kind);
  EXPECT_EQ(0u, ctx->suspended_calls());
}

TEST(EmscriptenCoversTest, ImportsOfOtherShapesAreNotCovered) {
  Emscripten emscripten;
  auto func = [](std::string module, std::string name, FuncSig sig) {
    ExternDesc d;
    d.kind = ExternKind::func;
    d.module = std::move(module);
    d.name = std::move(name);
    d.func = std::move(sig);
    return d;
  };
  using V = ValType;
  EXPECT_TRUE(
      emscripten.covers(func("env", "invoke_vi", {{V::i32, V::i32}, {}})));
  EXPECT_TRUE(emscripten.covers(
      func("env", "invoke_jij", {{V::i64, V::i32, V::i64}, {V::i64}})));
  EXPECT_TRUE(emscripten.covers(
      func("env", "__cxa_throw", {{V::i64, V::i64, V::i64}, {}})));
  EXPECT_TRUE(emscripten.covers(func("env", "exit", {{V::i32}, {}})));
  EXPECT_FALSE(emscripten.covers(func("other", "exit", {{V::i32}, {}})));
  EXPECT_FALSE(emscripten.covers(func("env", "exit", {{V::i64}, {}})));
  EXPECT_FALSE(emscripten.covers(func("env", "invoke_v", {{}, {}})));
  EXPECT_FALSE(emscripten.covers(func("env", "invoke_vf", {{V::f32}, {}})));
  EXPECT_FALSE(emscripten.covers(
      func("env", "__cxa_throw", {{V::i32, V::i64, V::i32}, {}})));
  EXPECT_FALSE(emscripten.covers(func("env", "made_up", {{}, {}})));
  EXPECT_FALSE(
      emscripten.covers(func("env", "__syscall_openat", {{V::f64}, {V::i32}})));
}

} // namespace
} // namespace hb_beamr::test
