// The public face of the WASI provider: matching imports to the function
// table, running handlers, and the output and exit code the host reads.
#include "hb_beamr/wasi.hpp"

#include "wasi/abi.hpp"
#include "wasi/state.hpp"

namespace hb_beamr {

namespace {

using wasi_detail::FunctionSpec;

// The spec answering `import`, with whether its signature is the wasm64
// form; null if the provider does not cover it.
const FunctionSpec *match(const ExternDesc &import, bool *is64) {
  if (import.kind != ExternKind::func || import.module != wasi_abi::kModule)
    return nullptr;
  const FunctionSpec *spec = wasi_detail::find_function(import.name);
  if (spec == nullptr)
    return nullptr;
  // Functions without pointers or sizes have one form; call it wasm32.
  if (import.func == wasi_detail::signature_of(*spec, false)) {
    *is64 = false;
    return spec;
  }
  if (import.func == wasi_detail::signature_of(*spec, true)) {
    *is64 = true;
    return spec;
  }
  return nullptr;
}

Status run(WasiState &state, const FunctionSpec &spec, bool is64,
           Context &context, const wasm_val_t *args, wasm_val_t *results) {
  wasi_detail::GuestMemory memory(context, is64);
  wasi_detail::Call call{context, memory, args};
  Result<uint16_t> outcome = spec.handler(state, call);
  if (!outcome)
    return outcome.error();
  if (spec.returns_errno) {
    results[0].kind = WASM_I32;
    results[0].of.i32 = outcome.value();
  }
  return {};
}

} // namespace

Wasi::Wasi(WasiOptions options)
    : state_(std::make_unique<WasiState>(std::move(options))) {}
Wasi::~Wasi() = default;
Wasi::Wasi(Wasi &&) noexcept = default;
Wasi &Wasi::operator=(Wasi &&) noexcept = default;

bool Wasi::covers(const ExternDesc &import) const {
  bool is64 = false;
  return match(import, &is64) != nullptr;
}

Status Wasi::answer(Context &context, const ExternDesc &import,
                    const wasm_val_t *args, wasm_val_t *results) {
  bool is64 = false;
  const FunctionSpec *spec = match(import, &is64);
  if (spec == nullptr)
    return make_error(
        ErrorKind::invalid_argument,
        "not a WASI preview 1 import this provider answers: " + import.module +
            "." + import.name + " " + import.func.text());
  return run(*state_, *spec, is64, context, args, results);
}

std::vector<ImportBinding>
Wasi::bindings(const std::vector<ExternDesc> &imports) {
  std::vector<ImportBinding> out;
  WasiState *state = state_.get();
  for (const ExternDesc &import : imports) {
    bool is64 = false;
    const FunctionSpec *spec = match(import, &is64);
    if (spec == nullptr)
      continue;
    out.push_back(
        {import.module, import.name, [state, spec, is64](HostCall &call) {
           return run(*state, *spec, is64, call.context, call.args,
                      call.results);
         }});
  }
  return out;
}

std::string Wasi::take_output(Stream stream) {
  return stream == Stream::out ? state_->out.take() : state_->err.take();
}

uint64_t Wasi::dropped_bytes(Stream stream) const {
  return stream == Stream::out ? state_->out.dropped() : state_->err.dropped();
}

std::optional<uint32_t> Wasi::exit_code() const { return state_->exit_code; }

} // namespace hb_beamr
