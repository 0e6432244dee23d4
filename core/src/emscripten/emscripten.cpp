// The public face of the emscripten provider: matching imports to handlers,
// and the two ways a handler calls back into the guest (blocking calls for
// bindings, suspendable calls driven to their end for answer()).
#include "hb_beamr/emscripten.hpp"

#include <chrono>
#include <string>

#include "emscripten/state.hpp"

namespace hb_beamr {

namespace emscripten_detail {

const char *const kThrowMessage =
    "uncaught C++ exception (emscripten __cxa_throw)";
const char *const kLongjmpMessage =
    "longjmp with no matching setjmp (emscripten _emscripten_throw_longjmp)";

Error unwind(EmscriptenState &state, const char *message) {
  state.unwinding = true;
  return make_error(ErrorKind::trap, message);
}

Error fault(const Call &call, const char *what) {
  return make_error(ErrorKind::trap, "emscripten " + call.import.name + ": " +
                                         what + " out of bounds of memory");
}

void Call::result(int64_t value) {
  if (import.func.results.empty())
    return;
  switch (import.func.results[0]) {
  case ValType::i64:
    results[0].kind = WASM_I64;
    results[0].of.i64 = value;
    break;
  case ValType::f64:
    results[0].kind = WASM_F64;
    results[0].of.f64 = static_cast<double>(value);
    break;
  default:
    results[0].kind = WASM_I32;
    results[0].of.i32 = static_cast<int32_t>(value);
    break;
  }
}

void Call::result_f64(double value) {
  results[0].kind = WASM_F64;
  results[0].of.f64 = value;
}

namespace {

// Nested calls of a context instantiated for blocking calls.
class BlockingNester final : public Nester {
public:
  explicit BlockingNester(Context &context) : context_(context) {}
  Status call(std::string_view name, const std::vector<wasm_val_t> &args,
              std::vector<wasm_val_t> &results) override {
    return context_.call(name, args, results);
  }
  Status call_indirect(uint64_t index, const std::vector<wasm_val_t> &args,
                       std::vector<wasm_val_t> &results) override {
    return context_.call_indirect(index, args, results);
  }

private:
  Context &context_;
};

// Nested calls of a suspended context: each is a suspendable call run to
// its end here, its imports answered by the provider or by `other`.
class SuspendedNester final : public Nester {
public:
  SuspendedNester(EmscriptenState &state, Context &context,
                  const HostFunction &other)
      : state_(state), context_(context), other_(other) {}
  Status call(std::string_view name, const std::vector<wasm_val_t> &args,
              std::vector<wasm_val_t> &results) override {
    return drive(context_.start_call(name, args, kSlice), results);
  }
  Status call_indirect(uint64_t index, const std::vector<wasm_val_t> &args,
                       std::vector<wasm_val_t> &results) override {
    return drive(context_.start_call_indirect(index, args, kSlice), results);
  }

private:
  // Slices only bound how long the engine runs between checks here; the
  // call's own time limit is the context's.
  static constexpr std::chrono::microseconds kSlice{10000};

  Status drive(Result<CallProgress> progress, std::vector<wasm_val_t> &results);
  Status answer_import(const ImportRequest &request,
                       std::vector<wasm_val_t> &results);

  EmscriptenState &state_;
  Context &context_;
  const HostFunction &other_;
};

Status run(EmscriptenState &state, Handler handler, Context &context,
           const ExternDesc &import, const wasm_val_t *args,
           wasm_val_t *results, Nester &nester) {
  Result<bool> is64 = context.memory_is64();
  wasi_detail::GuestMemory memory(context, is64 && is64.value());
  Call call{state, context, import, memory, nester, args, results};
  return handler(call);
}

Status SuspendedNester::answer_import(const ImportRequest &request,
                                      std::vector<wasm_val_t> &results) {
  const ExternDesc &import = *request.import;
  if (Handler handler = find_handler(import))
    return run(state_, handler, context_, import, request.args->data(),
               results.data(), *this);
  if (other_) {
    HostCall call{context_, import, request.args->data(), results.data()};
    return other_(call);
  }
  return make_error(ErrorKind::trap,
                    "import " + import.module + "." + import.name +
                        " has no answer (called inside an emscripten nested "
                        "call)");
}

Status SuspendedNester::drive(Result<CallProgress> progress,
                              std::vector<wasm_val_t> &results) {
  while (progress && progress.value() != CallProgress::finished) {
    if (progress.value() == CallProgress::awaiting_import) {
      ImportRequest request = *context_.pending_import();
      std::vector<wasm_val_t> answer(request.import->func.results.size());
      Status answered = answer_import(request, answer);
      Status handed = answered
                          ? context_.resolve_import(answer)
                          : context_.reject_import(answered.error().message);
      // An answer the context refuses (e.g. results of the wrong types from
      // `other`) still has to end the nested call, or it would stay
      // suspended under the outer one: make the import trap instead.
      if (!handed)
        handed = context_.reject_import(handed.error().message);
      if (!handed)
        return handed;
    }
    progress = context_.resume(kSlice);
  }
  if (!progress)
    return progress.error();
  results = context_.take_results();
  return {};
}

} // namespace
} // namespace emscripten_detail

using emscripten_detail::Handler;

Emscripten::Emscripten() : state_(std::make_unique<EmscriptenState>()) {}
Emscripten::~Emscripten() = default;
Emscripten::Emscripten(Emscripten &&) noexcept = default;
Emscripten &Emscripten::operator=(Emscripten &&) noexcept = default;

bool Emscripten::covers(const ExternDesc &import) const {
  return emscripten_detail::find_handler(import) != nullptr;
}

Status Emscripten::answer(Context &context, const ExternDesc &import,
                          const wasm_val_t *args, wasm_val_t *results,
                          const HostFunction &other) {
  Handler handler = emscripten_detail::find_handler(import);
  if (handler == nullptr)
    return make_error(ErrorKind::invalid_argument,
                      "not an emscripten runtime import this provider "
                      "answers: " +
                          import.module + "." + import.name + " " +
                          import.func.text());
  emscripten_detail::SuspendedNester nester(*state_, context, other);
  return emscripten_detail::run(*state_, handler, context, import, args,
                                results, nester);
}

std::vector<ImportBinding>
Emscripten::bindings(const std::vector<ExternDesc> &imports) {
  std::vector<ImportBinding> out;
  EmscriptenState *state = state_.get();
  for (const ExternDesc &import : imports) {
    Handler handler = emscripten_detail::find_handler(import);
    if (handler == nullptr)
      continue;
    out.push_back(
        {import.module, import.name, [state, handler](HostCall &call) {
           emscripten_detail::BlockingNester nester(call.context);
           return emscripten_detail::run(*state, handler, call.context,
                                         call.import, call.args, call.results,
                                         nester);
         }});
  }
  return out;
}

std::optional<int32_t> Emscripten::exit_code() const {
  return state_->exit_code;
}

uint32_t Emscripten::uncaught_exceptions() const { return state_->uncaught; }

} // namespace hb_beamr
