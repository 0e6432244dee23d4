// The Wasmtime adapter's calls: every call is a suspendable one (see
// engine_adapter.hpp's Suspension), a future polled by the core until it
// finishes; a function import suspends it until the core answers.
#include <algorithm>

#include "slice_ticker.hpp"
#include "type_description.hpp"
#include "wasmtime/adapter.hpp"

namespace hb_beamr::engine {

namespace {

// What a callback from Wasmtime reports when our own code threw (nothing
// but bad_alloc can): a static text, since making a string could throw too.
constexpr char kHostThrew[] = "host function failed: out of memory";

wasm_trap_t *host_threw_trap() {
  return wasmtime_trap_new(kHostThrew, sizeof(kHostThrew) - 1);
}

} // namespace

// Wasmtime calls this from Rust frames, which a C++ exception must never
// unwind: anything our code throws becomes a trap of the import.
void Instance::Impl::host_function(
    void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
    size_t nargs, wasmtime_val_t *results, size_t nresults,
    wasm_trap_t **trap_ret,
    wasmtime_async_continuation_t *continuation) noexcept {
  try {
    suspend_host(env, caller, args, nargs, results, nresults, trap_ret,
                 continuation);
  } catch (...) {
    continuation->callback = &Impl::host_done;
    continuation->env = nullptr;
    continuation->finalizer = nullptr;
    *trap_ret = host_threw_trap();
  }
}

void Instance::Impl::suspend_host(void *env, wasmtime_caller_t *caller,
                                  const wasmtime_val_t *args, size_t nargs,
                                  wasmtime_val_t *results, size_t nresults,
                                  wasm_trap_t **trap_ret,
                                  wasmtime_async_continuation_t *continuation) {
  auto *host = static_cast<HostEnv *>(env);
  Impl &self = *host->impl;
  continuation->callback = &Impl::host_done;
  continuation->env = nullptr;
  continuation->finalizer = nullptr;
  // A start function (no call in progress) gets its answers at once.
  if (self.frames.empty()) {
    Status status =
        self.answer_now(host->index, args, nargs, results, nresults);
    if (!status) {
      self.host_trap_message = status.error().message;
      *trap_ret = wasmtime_trap_new(self.host_trap_message.data(),
                                    self.host_trap_message.size());
    }
    return;
  }
  // Every import of a call suspends it, so the record of the last one is
  // reused, vectors and all: an import costs no allocation of ours.
  std::unique_ptr<Suspended> suspended = std::move(self.spare_suspended);
  if (!suspended)
    suspended = std::make_unique<Suspended>();
  suspended->impl = &self;
  suspended->frame = self.frames.back().get();
  suspended->caller = caller;
  suspended->results = results;
  suspended->nresults = nresults;
  suspended->trap_ret = trap_ret;
  suspended->request.index = host->index;
  suspended->request.args.resize(nargs);
  for (size_t i = 0; i < nargs; ++i) {
    Status s = from_wasmtime(args[i], &suspended->request.args[i]);
    if (!s) {
      *trap_ret =
          wasmtime_trap_new(s.error().message.data(), s.error().message.size());
      return;
    }
  }
  suspended->frame->host = suspended.get();
  continuation->callback = &Impl::continue_host;
  continuation->env = suspended.release();
  continuation->finalizer = &Impl::drop_host;
}

// Called from Rust frames too (see host_function).
bool Instance::Impl::continue_host(void *env) noexcept {
  auto &host = *static_cast<Suspended *>(env);
  try {
    return answer_host(host);
  } catch (...) {
    *host.trap_ret = host_threw_trap();
    return true;
  }
}

bool Instance::Impl::answer_host(Suspended &host) {
  if (host.child != nullptr) {
    Frame &child = *host.child;
    if (!child.done)
      child.done = wasmtime_call_future_poll(child.future);
    return false; // the import itself still waits for its answer
  }
  switch (host.answer) {
  case Suspended::Answer::none: return false;
  case Suspended::Answer::results: {
    Status converted;
    for (size_t i = 0; converted && i < host.nresults; ++i)
      converted = to_wasmtime(host.values[i], &host.results[i]);
    if (converted)
      return true;
    host.impl->host_trap_message = converted.error().message;
    break;
  }
  case Suspended::Answer::error:
    host.impl->host_trap_message = host.message;
    break;
  }
  *host.trap_ret = wasmtime_trap_new(host.impl->host_trap_message.data(),
                                     host.impl->host_trap_message.size());
  return true;
}

void Instance::Impl::delete_frame_future(Frame &frame) {
  if (frame.future != nullptr)
    wasmtime_call_future_delete(frame.future);
  frame.future = nullptr;
  if (frame.trap != nullptr)
    wasm_trap_delete(frame.trap);
  if (frame.error != nullptr)
    wasmtime_error_delete(frame.error);
  frame.trap = nullptr;
  frame.error = nullptr;
}

// Wasmtime drops the continuation when the import is answered, and also when
// the call around it is torn down; a call nested inside goes with it.
void Instance::Impl::drop_host(void *env) {
  std::unique_ptr<Suspended> host(static_cast<Suspended *>(env));
  Impl &self = *host->impl;
  if (host->child != nullptr) {
    Frame *child = host->child;
    // Deleting an unfinished future unwinds its call (and, through this
    // function again, the calls nested in it).
    delete_frame_future(*child);
    auto it = std::find_if(self.frames.begin(), self.frames.end(),
                           [&](const auto &f) { return f.get() == child; });
    if (it != self.frames.end())
      self.frames.erase(it);
  }
  if (host->frame->host == host.get())
    host->frame->host = nullptr;
  host->answer = Suspended::Answer::none;
  host->child = nullptr;
  host->message.clear();
  if (!self.spare_suspended)
    self.spare_suspended = std::move(host);
}

void Instance::Impl::drop_frames() {
  if (frames.empty())
    return;
  abandoning = true;
  // The outermost call's teardown takes the nested ones with it.
  delete_frame_future(*frames.front());
  frames.clear();
  abandoning = false;
}

Error Instance::Impl::trap_error(wasm_trap_t *raw) {
  TrapPtr trap(raw);
  wasmtime_trap_code_t code;
  if (wasmtime_trap_code(raw, &code)) {
    if (const char *text = trap_code_text(code))
      return make_error(ErrorKind::trap, text);
  }
  if (!host_trap_message.empty()) {
    std::string text = std::move(host_trap_message);
    host_trap_message.clear();
    return make_error(ErrorKind::trap, text);
  }
  wasm_message_t vec;
  wasm_trap_message(raw, &vec);
  return make_error(ErrorKind::trap, take_message(vec));
}

Status Instance::Impl::finish_call(wasmtime_error_t *err, wasm_trap_t *trap) {
  if (err != nullptr) {
    ErrorPtr owned(err);
    // A host function's trap may surface as an error rather than a trap.
    if (!host_trap_message.empty()) {
      std::string text = std::move(host_trap_message);
      host_trap_message.clear();
      return make_error(ErrorKind::trap, text);
    }
    return make_error(ErrorKind::trap, message_of(err));
  }
  if (trap != nullptr)
    return trap_error(trap);
  return {};
}

wasmtime_context_t *Instance::Impl::context_for_new_call(Suspended *&parent) {
  parent = nullptr;
  if (frames.empty())
    return context;
  Frame &top = *frames.back();
  if (top.done || top.host == nullptr || top.host->child != nullptr ||
      top.host->answer != Suspended::Answer::none)
    return nullptr;
  parent = top.host;
  return wasmtime_caller_context(parent->caller);
}

Status Instance::Impl::begin(std::string_view name, uint64_t index,
                             const wasm_val_t *args) {
  Suspended *parent = nullptr;
  wasmtime_context_t *ctx = context_for_new_call(parent);
  if (ctx == nullptr)
    return make_error(ErrorKind::invalid_state,
                      "a call can only start at top level or inside an "
                      "import that awaits its answer");
  // Like the record of an import, the frame of the last finished call is
  // reused for the next one.
  std::unique_ptr<Frame> frame = std::move(spare_frame);
  if (!frame)
    frame = std::make_unique<Frame>();
  size_t nresults = 0;
  if (!name.empty()) {
    Result<const ExportedFunc *> found = exported_func(name);
    if (!found)
      return found.error();
    frame->func = found.value()->func;
    frame->args.resize(found.value()->sig.params.size());
    nresults = found.value()->sig.results.size();
  } else {
    Result<wasmtime_func_t> func = table_func(index);
    if (!func)
      return func.error();
    frame->func = func.value();
    wasm_functype_t *type = wasmtime_func_type(ctx, &frame->func);
    const FuncSig sig = funcsig_of(type);
    wasm_functype_delete(type);
    frame->args.resize(sig.params.size());
    nresults = sig.results.size();
  }
  for (size_t i = 0; i < frame->args.size(); ++i)
    if (Status s = to_wasmtime(args[i], &frame->args[i]); !s)
      return s;
  frame->results.resize(nresults);
  host_trap_message.clear();
  frame->future = wasmtime_func_call_async(
      ctx, &frame->func, frame->args.data(), frame->args.size(),
      frame->results.data(), frame->results.size(), &frame->trap,
      &frame->error);
  if (parent != nullptr)
    parent->child = frame.get();
  frames.push_back(std::move(frame));
  return {};
}

Progress Instance::Impl::innermost() const {
  const Frame &top = *frames.back();
  if (top.done)
    return Progress::finished;
  if (top.host != nullptr && top.host->child == nullptr &&
      top.host->answer == Suspended::Answer::none)
    return Progress::awaiting_import;
  return Progress::yielded;
}

Result<Progress>
Instance::Impl::poll(std::optional<SteadyClock::time_point> end) {
  if (frames.empty())
    return make_error(ErrorKind::invalid_state, "no call in progress");
  if (Progress now = innermost(); now != Progress::yielded)
    return now;
  Frame &root = *frames.front();
  slice_end = end;
  // Only a slice needs the clock looked at; a call polled to its end does
  // not wake the ticker.
  if (end && !slice_ticker::enter())
    return make_error(ErrorKind::allocation,
                      "cannot start the thread that ends time slices");
  root.done = wasmtime_call_future_poll(root.future);
  slice_end.reset();
  return innermost();
}

Result<const FuncSig *>
Instance::Impl::export_signature_ref(std::string_view name) {
  Result<const ExportedFunc *> found = exported_func(name);
  if (!found)
    return found.error();
  return &found.value()->sig;
}

Status Instance::Impl::finish(std::vector<wasm_val_t> &out) {
  if (frames.empty() || !frames.back()->done)
    return make_error(ErrorKind::invalid_state, "no finished call");
  Frame &frame = *frames.back();
  const bool ok = frame.error == nullptr && frame.trap == nullptr;
  Status status = finish_call(frame.error, frame.trap);
  frame.error = nullptr; // finish_call took them
  frame.trap = nullptr;
  out.resize(frame.results.size());
  for (size_t i = 0; status && i < frame.results.size(); ++i)
    status = from_wasmtime(frame.results[i], &out[i]);
  if (ok)
    for (auto &v : frame.results)
      if (is_gc_ref(v.kind))
        wasmtime_val_unroot(&v);
  delete_frame_future(frame);
  frame.done = false;
  frame.host = nullptr;
  spare_frame = std::move(frames.back());
  frames.pop_back();
  if (!frames.empty() && frames.back()->host != nullptr)
    frames.back()->host->child = nullptr;
  return status;
}

const PendingImport *Instance::Impl::pending_import() const {
  if (frames.empty() || innermost() != Progress::awaiting_import)
    return nullptr;
  return &frames.back()->host->request;
}

Status Instance::Impl::answer(const wasm_val_t *values) {
  if (pending_import() == nullptr)
    return make_error(ErrorKind::invalid_state, "no import awaits an answer");
  Suspended &host = *frames.back()->host;
  host.values.assign(values, values + host.nresults);
  host.answer = Suspended::Answer::results;
  return {};
}

void Instance::Impl::reject(std::string message) {
  if (pending_import() == nullptr)
    return;
  Suspended &host = *frames.back()->host;
  host.message = std::move(message);
  host.answer = Suspended::Answer::error;
}

} // namespace hb_beamr::engine
