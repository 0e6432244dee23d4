// The WASI provider answering the imports of a suspended call through
// Wasi::answer(), as the driver will: the call stops at each import, the
// host answers it from the provider (or rejects it with proc_exit's trap),
// and the program runs to its end exactly as with bindings.
#include <chrono>
#include <string>
#include <vector>

#include "wasi_test_support.hpp"

namespace hb_beamr::test {
namespace {

constexpr auto kSlice = std::chrono::microseconds(1000);

class WasiSuspendedTest : public RuntimeTest {
protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    HB_BEAMR_REQUIRE(Feature::suspend);
  }

  // Runs wasi_hello's _start with `args`, answering every import through
  // `wasi`; returns how the call ended and counts the imports answered.
  Status run(Wasi &wasi, size_t *imports) {
    std::unique_ptr<Context> ctx = Context::create();
    std::vector<uint8_t> bytes = read_fixture("wasi_hello");
    if (!ctx->load(bytes.data(), bytes.size()) ||
        !ctx->instantiate_suspending())
      return make_error(ErrorKind::instantiate, ctx->last_error());
    Result<CallProgress> progress = ctx->start_call("_start", {}, kSlice);
    while (progress && progress.value() != CallProgress::finished) {
      if (progress.value() == CallProgress::awaiting_import) {
        ImportRequest request = *ctx->pending_import();
        EXPECT_TRUE(wasi.covers(*request.import)) << request.import->name;
        std::vector<wasm_val_t> results(request.import->func.results.size());
        Status answered = wasi.answer(*ctx, *request.import,
                                      request.args->data(), results.data());
        ++*imports;
        Status handed = answered ? ctx->resolve_import(results)
                                 : ctx->reject_import(answered.error().message);
        EXPECT_TRUE(handed) << ctx->last_error();
      }
      progress = ctx->resume(kSlice);
    }
    if (!progress)
      return progress.error();
    return {};
  }
};

TEST_F(WasiSuspendedTest, ProgramRunsOnAnsweredImports) {
  WasiOptions options;
  options.args = {"wasi_hello", "args", "suspended"};
  Wasi wasi(options);
  size_t imports = 0;
  Status status = run(wasi, &imports);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ("[0]=wasi_hello\n[1]=args\n[2]=suspended\n",
            wasi.take_output(Stream::out));
  EXPECT_GE(imports, 4u) << "args twice, environ twice at least";
}

TEST_F(WasiSuspendedTest, ProcExitRejectsTheImportAndEndsTheCall) {
  WasiOptions options;
  options.args = {"wasi_hello", "exit", "5"};
  Wasi wasi(options);
  size_t imports = 0;
  Status status = run(wasi, &imports);
  ASSERT_FALSE(status);
  EXPECT_EQ(ErrorKind::trap, status.error().kind);
  EXPECT_TRUE(contains(status.error().message, "proc_exit(5)"))
      << status.error().message;
  ASSERT_TRUE(wasi.exit_code());
  EXPECT_EQ(5u, *wasi.exit_code());
  EXPECT_EQ("bye\n", wasi.take_output(Stream::out));
}

} // namespace
} // namespace hb_beamr::test
