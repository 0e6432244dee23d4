// Context: the public suspendable calls (start_call, resume, imports
// answered by the caller), on a context made with instantiate_suspending().
#include "context_impl.hpp"

namespace hb_beamr {

Result<CallProgress> Context::start_call(std::string_view name,
                                         const std::vector<wasm_val_t> &args,
                                         std::chrono::microseconds slice) {
  if (name.empty())
    return impl_->fail(make_error(ErrorKind::lookup, "no export named \"\""));
  return impl_->begin_suspendable(name, 0, args, slice);
}

Result<CallProgress>
Context::start_call_indirect(uint64_t index,
                             const std::vector<wasm_val_t> &args,
                             std::chrono::microseconds slice) {
  return impl_->begin_suspendable({}, index, args, slice);
}

Result<const FuncSig *> Context::Impl::call_signature(std::string_view name,
                                                      uint64_t index,
                                                      FuncSig &storage) {
  if (name.empty()) {
    Result<FuncSig> found = instance->table_signature(index);
    if (!found)
      return fail(found.error());
    storage = std::move(found.value());
    return &storage;
  }
  // A named export's signature is cached by the instance: no copy.
  Result<const FuncSig *> found =
      instance->suspension()->export_signature_ref(name);
  if (!found)
    return fail(found.error());
  return found.value();
}

Result<CallProgress>
Context::Impl::begin_suspendable(std::string_view name, uint64_t index,
                                 const std::vector<wasm_val_t> &args,
                                 std::chrono::microseconds slice) {
  const char *operation = name.empty() ? "start_call_indirect" : "start_call";
  if (Status s = require_instance(operation); !s)
    return s.error();
  if (!suspending)
    return fail(
        make_error(ErrorKind::invalid_state, std::string(operation) +
                                                 " needs a context made with "
                                                 "instantiate_suspending"));
  engine::Suspension &calls = *instance->suspension();
  const bool top_level = calls.suspended_calls() == 0;
  if (!top_level && !pending_import())
    return fail(make_error(ErrorKind::invalid_state,
                           "a nested call needs an import awaiting its "
                           "answer"));
  // Each level runs on a stack of its own, so no stack runs out however
  // deep a host nests: the depth is capped instead, as a stack would be.
  if (calls.suspended_calls() >= kMaxNestedCalls)
    return fail(make_error(ErrorKind::trap, "call stack exhausted"));
  FuncSig indirect_sig;
  Result<const FuncSig *> sig = call_signature(name, index, indirect_sig);
  if (!sig)
    return sig.error();
  if (!args_match(*sig.value(), args))
    return fail(make_error(ErrorKind::invalid_argument,
                           describe_sig_mismatch(*sig.value(), args)));
  if (top_level) {
    if (Status ready = prepare_top_level_call(); !ready)
      return ready.error();
    // Armed before the call begins, so a watchdog that cannot run refuses
    // the call before there is anything to abandon.
    if (Status armed = start_deadline(); !armed)
      return fail(armed.error());
  }
  if (Status begun = calls.begin(name, index, args.data()); !begun) {
    if (top_level)
      cancel_deadline();
    return fail(begun.error());
  }
  state = State::running_export;
  return run_slice(slice);
}

Result<CallProgress> Context::resume(std::chrono::microseconds slice) {
  Impl &self = *impl_;
  if (Status s = self.require({State::running_export}, "resume"); !s)
    return s.error();
  if (self.suspended_calls() == 0)
    return self.fail(make_error(ErrorKind::invalid_state, "no call to resume"));
  return self.run_slice(slice);
}

Result<CallProgress> Context::Impl::run_slice(std::chrono::microseconds slice) {
  Result<engine::Progress> progress =
      instance->suspension()->poll(engine::SteadyClock::now() + slice);
  if (!progress) {
    // The slice could not run (no thread to end it): drop the calls rather
    // than leave the context inside calls nobody can run.
    if (suspended_calls() > 0) {
      instance->suspension()->abandon();
      (void)top_level_outcome(progress.error());
      state = State::trapped;
    }
    return fail(progress.error());
  }
  switch (progress.value()) {
  case engine::Progress::finished: return settle_finished();
  case engine::Progress::awaiting_import:
    state = State::awaiting_import;
    return CallProgress::awaiting_import;
  case engine::Progress::yielded:
    state = State::running_export;
    return CallProgress::yielded;
  }
  return fail(make_error(ErrorKind::invalid_state, "unknown call progress"));
}

Result<CallProgress> Context::Impl::settle_finished() {
  engine::Suspension &calls = *instance->suspension();
  Status status = calls.finish(results);
  if (calls.suspended_calls() == 0) {
    status = top_level_outcome(status);
    state = status ? State::instantiated : State::trapped;
  } else {
    // Back in the import the finished call was nested in.
    status = timed(status);
    state = State::awaiting_import;
  }
  if (!status) {
    results.clear();
    return fail(status.error());
  }
  return CallProgress::finished;
}

std::optional<ImportRequest> Context::Impl::pending_import() const {
  if (!suspending || !instance)
    return std::nullopt;
  const engine::PendingImport *pending =
      instance->suspension()->pending_import();
  if (pending == nullptr)
    return std::nullopt;
  return ImportRequest{&module_imports()[pending->index], &pending->args};
}

std::optional<ImportRequest> Context::pending_import() const {
  return impl_->pending_import();
}

Status Context::resolve_import(const std::vector<wasm_val_t> &results) {
  Impl &self = *impl_;
  std::optional<ImportRequest> pending = self.pending_import();
  if (!pending)
    return self.fail(make_error(ErrorKind::invalid_state,
                                "resolve_import: no import awaits an answer"));
  const ExternDesc &imp = *pending->import;
  // The import traps and the call fails with timeout (top_level_outcome).
  if (self.deadline_passed())
    return self.reject_import("call exceeded its time limit while its "
                              "import " +
                              imp.module + "." + imp.name + " was answered");
  bool match = results.size() == imp.func.results.size();
  for (size_t i = 0; match && i < results.size(); ++i) {
    wasm_valkind_t expected;
    match = to_wasm_valkind(imp.func.results[i], &expected) &&
            results[i].kind == expected;
  }
  if (!match)
    return self.fail(make_error(ErrorKind::invalid_argument,
                                "results do not match import " + imp.module +
                                    "." + imp.name + " " + imp.signature));
  if (Status answered = self.instance->suspension()->answer(results.data());
      !answered)
    return self.fail(answered.error());
  self.state = State::running_export;
  return {};
}

Status Context::Impl::reject_import(std::string message) {
  if (!pending_import())
    return fail(make_error(ErrorKind::invalid_state,
                           "reject_import: no import awaits an answer"));
  instance->suspension()->reject(std::move(message));
  state = State::running_export;
  return {};
}

Status Context::reject_import(std::string message) {
  return impl_->reject_import(std::move(message));
}

std::vector<wasm_val_t> Context::take_results() {
  return std::move(impl_->results);
}

size_t Context::Impl::suspended_calls() const {
  return suspending && instance ? instance->suspension()->suspended_calls() : 0;
}

size_t Context::suspended_calls() const { return impl_->suspended_calls(); }

void Context::abandon_calls() {
  Impl &self = *impl_;
  if (self.suspended_calls() == 0)
    return;
  self.instance->suspension()->abandon();
  (void)self.top_level_outcome(make_error(ErrorKind::interrupted, "abandoned"));
  self.state = State::trapped;
}

} // namespace hb_beamr
