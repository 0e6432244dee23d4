// Context: blocking calls. On an engine that can suspend, a blocking call is
// a suspendable call polled to its end, with each import it awaits answered
// here by its host function; an engine that cannot suspend runs it directly.
#include "context_impl.hpp"

namespace hb_beamr {

std::string describe_sig_mismatch(const FuncSig &sig,
                                  const std::vector<wasm_val_t> &args) {
  std::string got = "(";
  for (const wasm_val_t &v : args) {
    switch (v.kind) {
    case WASM_I32: got += 'i'; break;
    case WASM_I64: got += 'I'; break;
    case WASM_F32: got += 'f'; break;
    case WASM_F64: got += 'F'; break;
    case WASM_FUNCREF: got += 'r'; break;
    case WASM_EXTERNREF: got += 'e'; break;
    default: got += '?';
    }
  }
  got += ')';
  return "arguments " + got + " do not match signature " + sig.text();
}

bool args_match(const FuncSig &sig, const std::vector<wasm_val_t> &args) {
  if (args.size() != sig.params.size())
    return false;
  for (size_t i = 0; i < args.size(); ++i) {
    wasm_valkind_t expected;
    if (!to_wasm_valkind(sig.params[i], &expected))
      return false;
    if (args[i].kind != expected)
      return false;
  }
  return true;
}

Status
Context::Impl::run_call(const FuncSig &sig, const std::vector<wasm_val_t> &args,
                        std::vector<wasm_val_t> &results,
                        const std::function<Status(wasm_val_t *)> &invoke) {
  if (!args_match(sig, args))
    return fail(make_error(ErrorKind::invalid_argument,
                           describe_sig_mismatch(sig, args)));
  results.clear();
  for (ValType t : sig.results)
    results.push_back(zero_value(t));
  const bool top_level = call_depth == 0;
  if (top_level) {
    if (Status ready = prepare_top_level_call(); !ready)
      return ready;
    if (Status armed = start_deadline(); !armed)
      return fail(armed.error());
  }
  State before = state;
  state = State::running_export;
  ++call_depth;
  Status status = invoke(results.data());
  --call_depth;
  status = top_level ? top_level_outcome(status) : timed(status);
  if (state == State::destroyed) {
    if (status)
      status = make_error(ErrorKind::invalid_state,
                          "context was destroyed during the call");
    return fail(status.error());
  }
  // Nested calls return to the host function that made them.
  if (call_depth > 0)
    state = before;
  else
    state = status ? State::instantiated : State::trapped;
  if (!status)
    return fail(status.error());
  return status;
}

Status Context::Impl::call_suspending(std::string_view name, uint64_t index,
                                      const wasm_val_t *args,
                                      wasm_val_t *results) {
  engine::Suspension &calls = *instance->suspension();
  // Each level runs on a stack of its own, so no stack runs out however
  // deep a host nests: the depth is capped instead, as a stack would be.
  if (calls.suspended_calls() >= kMaxNestedCalls)
    return make_error(ErrorKind::trap, "call stack exhausted");
  if (Status begun = calls.begin(name, index, args); !begun)
    return begun;
  std::vector<wasm_val_t> answer;
  for (;;) {
    Result<engine::Progress> progress = calls.poll(std::nullopt);
    if (!progress)
      return progress.error();
    if (progress.value() == engine::Progress::finished)
      break;
    const engine::PendingImport *pending = calls.pending_import();
    if (progress.value() != engine::Progress::awaiting_import ||
        pending == nullptr)
      continue; // woken without a slice (an interrupt): poll on
    const FuncSig &sig = module_imports()[pending->index].func;
    answer.clear();
    for (ValType t : sig.results)
      answer.push_back(zero_value(t));
    // The host function may make calls nested in this import; each polls
    // the calls in progress itself and returns with this one still waiting.
    Status answered =
        answer_import(pending->index, pending->args.data(), answer.data());
    if (answered)
      answered = calls.answer(answer.data());
    if (!answered)
      calls.reject(answered.error().message);
  }
  std::vector<wasm_val_t> out;
  Status status = calls.finish(out);
  for (size_t i = 0; status && i < out.size(); ++i)
    results[i] = out[i];
  return status;
}

Status Context::Impl::blocking_call(const char *operation,
                                    std::string_view name, uint64_t index,
                                    const std::vector<wasm_val_t> &args,
                                    std::vector<wasm_val_t> &results) {
  if (Status s = require_instance(operation); !s)
    return s;
  if (suspending)
    return fail(make_error(
        ErrorKind::invalid_state,
        std::string(operation) +
            " is not allowed on a context made with instantiate_suspending "
            "(use start_" +
            operation + ")"));
  if (instance->suspension() != nullptr) {
    FuncSig storage;
    Result<const FuncSig *> sig = call_signature(name, index, storage);
    if (!sig)
      return sig.error();
    return run_call(*sig.value(), args, results, [&](wasm_val_t *out) {
      return call_suspending(name, index, args.data(), out);
    });
  }
  Result<FuncSig> sig = name.empty() ? instance->table_signature(index)
                                     : instance->export_signature(name);
  if (!sig)
    return fail(sig.error());
  engine::DirectCalls &direct = *instance->direct_calls();
  return run_call(sig.value(), args, results, [&](wasm_val_t *out) {
    return name.empty() ? direct.call_indirect(index, args.data(), out)
                        : direct.call(name, args.data(), out);
  });
}

Status Context::call(std::string_view name, const std::vector<wasm_val_t> &args,
                     std::vector<wasm_val_t> &results) {
  // An empty name would mean a table entry below; no export has it.
  if (name.empty()) {
    if (Status s = impl_->require_instance("call"); !s)
      return s;
    return impl_->fail(make_error(ErrorKind::lookup, "no export named \"\""));
  }
  return impl_->blocking_call("call", name, 0, args, results);
}

Status Context::call_indirect(uint64_t index,
                              const std::vector<wasm_val_t> &args,
                              std::vector<wasm_val_t> &results) {
  return impl_->blocking_call("call_indirect", {}, index, args, results);
}

} // namespace hb_beamr
