// Helpers shared by the emscripten provider's tests: a guest run either
// with the providers' bindings (blocking Context::call) or suspended, each
// import answered through Emscripten::answer() / Wasi::answer() as the
// driver will. Tests are parameterized over the two.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "hb_beamr/emscripten.hpp"
#include "hb_beamr/wasi.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {

/// How the guest's imports are answered.
enum class Path { bindings, suspended };

inline std::string path_name(const ::testing::TestParamInfo<Path> &info) {
  return info.param == Path::bindings ? "Bindings" : "Suspended";
}

/// One guest instance with an Emscripten provider (and a Wasi one, for the
/// modules that import both).
class EmscriptenGuest {
public:
  EmscriptenGuest(Path path, const std::string &fixture) : path_(path) {
    ctx_ = Context::create();
    std::vector<uint8_t> bytes = read_fixture(fixture);
    Status loaded = ctx_->load(bytes.data(), bytes.size());
    if (!loaded) {
      ADD_FAILURE() << "load " << fixture << ": " << loaded.error().message;
      return;
    }
    Status made = path == Path::bindings ? instantiate_bound()
                                         : ctx_->instantiate_suspending();
    if (!made)
      ADD_FAILURE() << "instantiate " << fixture << ": "
                    << made.error().message;
    ready_ = made.ok();
  }

  bool ready() const { return ready_; }
  Context &context() { return *ctx_; }
  Emscripten &emscripten() { return emscripten_; }
  Wasi &wasi() { return wasi_; }

  /// Calls export `name`; the call's error, or its results.
  Result<std::vector<wasm_val_t>> call(const std::string &name,
                                       const std::vector<wasm_val_t> &args) {
    std::vector<wasm_val_t> results;
    if (path_ == Path::bindings) {
      Status status = ctx_->call(name, args, results);
      if (!status)
        return status.error();
      return results;
    }
    Result<CallProgress> progress = ctx_->start_call(name, args, kSlice);
    while (progress && progress.value() != CallProgress::finished) {
      if (progress.value() == CallProgress::awaiting_import) {
        Status handed = answer(*ctx_->pending_import());
        if (!handed)
          return handed.error();
      }
      progress = ctx_->resume(kSlice);
    }
    if (!progress)
      return progress.error();
    return ctx_->take_results();
  }

  /// Calls export `name` returning one i32; `fallback` (recorded) if the
  /// call fails.
  int32_t call_i32(const std::string &name,
                   const std::vector<wasm_val_t> &args = {},
                   int32_t fallback = INT32_MIN) {
    Result<std::vector<wasm_val_t>> results = call(name, args);
    if (!results) {
      ADD_FAILURE() << name << ": " << results.error().message;
      return fallback;
    }
    EXPECT_EQ(1u, results.value().size());
    return results.value().empty() ? fallback : results.value()[0].of.i32;
  }

private:
  static constexpr auto kSlice = std::chrono::microseconds(1000);

  Status instantiate_bound() {
    std::vector<ImportBinding> bindings = emscripten_.bindings(ctx_->imports());
    for (ImportBinding &b : wasi_.bindings(ctx_->imports()))
      bindings.push_back(std::move(b));
    return ctx_->instantiate(nullptr, std::move(bindings));
  }

  // The driver's part: answer the awaited import from whichever provider
  // covers it; the emscripten one hands imports of its nested calls that it
  // does not cover to the Wasi provider.
  Status answer(const ImportRequest &request) {
    const ExternDesc &import = *request.import;
    std::vector<wasm_val_t> results(import.func.results.size());
    HostFunction wasi = [this](HostCall &call) {
      if (!wasi_.covers(call.import))
        return Status(make_error(ErrorKind::trap, "not covered"));
      return wasi_.answer(call.context, call.import, call.args, call.results);
    };
    Status answered =
        emscripten_.covers(import)
            ? emscripten_.answer(*ctx_, import, request.args->data(),
                                 results.data(), wasi)
        : wasi_.covers(import)
            ? wasi_.answer(*ctx_, import, request.args->data(), results.data())
            : Status(make_error(ErrorKind::trap, "uncovered " + import.name));
    return answered ? ctx_->resolve_import(results)
                    : ctx_->reject_import(answered.error().message);
  }

  Path path_;
  std::unique_ptr<Context> ctx_;
  Emscripten emscripten_;
  Wasi wasi_;
  bool ready_ = false;
};

/// A RuntimeTest run once per Path (suspended only where the engine can).
class EmscriptenTest : public RuntimeTest,
                       public ::testing::WithParamInterface<Path> {
protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (GetParam() == Path::suspended)
      HB_BEAMR_REQUIRE(Feature::suspend);
  }
};

} // namespace hb_beamr::test
