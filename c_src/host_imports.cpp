// The built-in import providers of an instance; see host_imports.hpp.
#include "host_imports.hpp"

#include <utility>

#include "commands.hpp"

namespace hb_beamr::driver {
namespace {

// Hands a stream's bytes to the port's owner as they are written. The Link
// is thread-safe, and outlives the provider (both belong to the port's
// shared state).
OutputSink sink_for(OutputMode mode, const char *stream, Link &link) {
  switch (mode) {
  case OutputMode::capture: return OutputSink::capture();
  case OutputMode::discard: return OutputSink::discard();
  case OutputMode::send: break;
  }
  TermBuffer tag_term;
  tag_term.atom("hb_beamr_output");
  const Tag tag(tag_term.data(), tag_term.data() + tag_term.size());
  return OutputSink::to([&link, tag, stream](std::string_view bytes) {
    TermBuffer term;
    term.tuple(2).atom(stream).binary(bytes);
    link.send(tag, term);
  });
}

WasiOptions wasi_options(const WasiSpec &spec, Link &link) {
  WasiOptions options;
  options.args = spec.args;
  options.env = spec.env;
  options.stdin_data = spec.stdin_data;
  options.stdout_sink = sink_for(spec.stdout_mode, "stdout", link);
  options.stderr_sink = sink_for(spec.stderr_mode, "stderr", link);
  options.output_limit = static_cast<size_t>(spec.output_limit);
  options.deterministic = spec.seeded;
  options.seed = spec.seed;
  return options;
}

} // namespace

std::unique_ptr<HostImports> HostImports::create(const cmd::Init &init,
                                                 Link &link) {
  if (!init.wasi)
    return nullptr;
  auto host = std::make_unique<HostImports>();
  host->wasi_.emplace(wasi_options(*init.wasi, link));
  return host;
}

bool HostImports::covers(const ExternDesc &import) const {
  return wasi_ && wasi_->covers(import);
}

Status HostImports::answer(Context &context, const ExternDesc &import,
                           const wasm_val_t *args, wasm_val_t *results) {
  if (!covers(import))
    return make_error(ErrorKind::invalid_argument, "import not covered");
  Status answered = wasi_->answer(context, import, args, results);
  // A proc_exit traps after recording its code (each one overwrites it);
  // taken here so that this call, and only this one, ends as an exit.
  if (!answered && answered.error().kind == ErrorKind::trap &&
      import.name == "proc_exit")
    exit_ = wasi_->exit_code();
  return answered;
}

void HostImports::answer_pending(Context &context) {
  const ImportRequest request = *context.pending_import();
  std::vector<wasm_val_t> results(request.import->func.results.size());
  for (size_t i = 0; i < results.size(); ++i)
    results[i] = zero_value(request.import->func.results[i]);
  Status answered =
      answer(context, *request.import, request.args->data(), results.data());
  if (answered)
    answered = context.resolve_import(results);
  if (!answered)
    (void)context.reject_import(answered.error().message);
}

std::vector<ImportBinding> HostImports::bindings(Context &context) {
  std::vector<ImportBinding> out;
  for (const ExternDesc &import : context.imports()) {
    if (import.kind != ExternKind::func || !covers(import))
      continue;
    out.push_back({import.module, import.name, [this](HostCall &call) {
                     return answer(call.context, call.import, call.args,
                                   call.results);
                   }});
  }
  return out;
}

std::optional<uint32_t> HostImports::take_exit() {
  return std::exchange(exit_, std::nullopt);
}

std::string HostImports::take_output(bool stderr_stream) {
  return wasi_ ? wasi_->take_output(stderr_stream ? Stream::err : Stream::out)
               : std::string();
}

void reply_host_call_failure(HostImports *host, const Error &error,
                             ReplySink &sink) {
  const std::optional<uint32_t> code =
      host != nullptr ? host->take_exit() : std::nullopt;
  if (!code)
    return reply_call_failure(error, sink);
  TermBuffer term;
  term.tuple(2).atom("error").tuple(2).atom("exit").uinteger(*code);
  sink.term(term);
}

} // namespace hb_beamr::driver
