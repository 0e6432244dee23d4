// Context: the state machine and argument checks around one engine instance.
#include "hb_beamr/context.hpp"

#include <atomic>
#include <cstring>
#include <exception>

#include "engine_adapter.hpp"
#include "module_cache.hpp"
#include "runtime_internal.hpp"
#include "watchdog.hpp"

namespace hb_beamr {
namespace {

std::atomic<size_t> live_contexts{0};

// Larger native stacks than this are almost certainly a mistake, and no
// thread we make has them.
constexpr uint64_t max_stack_limit = 64ull << 20;

std::string kind_list(std::initializer_list<State> states) {
  std::string out;
  size_t i = 0;
  for (State s : states) {
    if (i > 0)
      out += i + 1 == states.size() ? " or " : ", ";
    out += state_name(s);
    ++i;
  }
  return out;
}

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

// Call-like operations are allowed at top level, after a trap, and nested
// inside a host function of the same context.
constexpr std::initializer_list<State> callable_states = {
    State::instantiated, State::trapped, State::awaiting_import};

} // namespace

Context::Context() : state_(State::uninitialized), runtime_generation_(0) {
  ++live_contexts;
}

Context::~Context() {
  // A context destroyed from a host function of its own call (the C facade
  // defers that) is never in the watchdog; this covers everything else.
  watchdog::disarm(this);
  --live_contexts;
}

size_t Context::live_count() { return live_contexts; }

std::unique_ptr<Context> Context::create(const ContextOptions &options) {
  std::unique_ptr<Context> ctx(new (std::nothrow) Context());
  if (!ctx)
    return nullptr;
  ctx->options_ = options;
  if (options.max_stack_bytes > max_stack_limit) {
    ctx->options_error_ = make_error(ErrorKind::invalid_argument,
                                     "max_stack_bytes may be at most " +
                                         std::to_string(max_stack_limit));
  }
  // Invalid options never reach the engine (Wasmtime aborts on a config it
  // rejects); the context then sits on the default engine and refuses to
  // load.
  engine::EngineProfile profile;
  if (!ctx->options_error_) {
    profile.consume_fuel = options.fuel_per_call > 0;
    profile.deterministic = options.deterministic;
    profile.max_wasm_stack = options.max_stack_bytes;
  }
  runtime::Snapshot rt = runtime::snapshot(profile);
  if (rt.generation == 0) {
    ctx->last_error_ = "runtime is not initialized";
    return ctx;
  }
  ctx->engine_ = std::move(rt.engine);
  ctx->runtime_generation_ = rt.generation;
  ctx->state_ = State::context_created;
  if (rt.error && !ctx->options_error_)
    ctx->options_error_ = rt.error;
  return ctx;
}

void Context::interrupt() {
  stop_requested_ = true;
  std::lock_guard<std::mutex> lock(instance_mutex_);
  if (instance_)
    instance_->interrupt();
  else if (engine_)
    engine::interrupt_all(engine_); // a start function may be running
}

void watchdog_expire(Context &ctx) {
  ctx.timed_out_ = true;
  ctx.interrupt();
}

State Context::state() const {
  if (state_ == State::uninitialized || state_ == State::destroyed)
    return state_;
  if (runtime::current_generation() != runtime_generation_)
    return State::runtime_destroyed;
  return state_;
}

Error Context::fail(Error error) const {
  last_error_ = error.message;
  return error;
}

Status Context::require(std::initializer_list<State> allowed,
                        const char *operation) const {
  State now = state();
  for (State s : allowed)
    if (s == now)
      return {};
  return fail(make_error(ErrorKind::invalid_state,
                         std::string(operation) + " is not allowed in state " +
                             state_name(now) + " (needs " + kind_list(allowed) +
                             ")"));
}

Status Context::require_instance(const char *operation) const {
  if (Status s = require(callable_states, operation); !s)
    return s;
  // A start function's host function may try to call back before the
  // instance exists.
  if (!instance_)
    return fail(
        make_error(ErrorKind::invalid_state,
                   std::string(operation) +
                       " is not allowed while the start function runs"));
  return {};
}

Status Context::load(const uint8_t *bytes, size_t size) {
  if (Status s = require({State::context_created}, "load"); !s)
    return s;
  if (options_error_)
    return fail(*options_error_);
  if (bytes == nullptr && size > 0)
    return fail(make_error(ErrorKind::invalid_argument, "null module buffer"));
  Result<engine::ModulePtr> module =
      module_cache::compile(engine_, bytes, size);
  if (!module)
    return fail(module.error());
  module_ = module.value();
  state_ = State::module_loaded;
  return {};
}

Status Context::load_precompiled(const uint8_t *bytes, size_t size) {
  if (Status s = require({State::context_created}, "load_precompiled"); !s)
    return s;
  if (options_error_)
    return fail(*options_error_);
  if (bytes == nullptr && size > 0)
    return fail(make_error(ErrorKind::invalid_argument, "null module buffer"));
  Result<engine::ModulePtr> module = engine::deserialize(engine_, bytes, size);
  if (!module)
    return fail(module.error());
  module_ = module.value();
  state_ = State::module_loaded;
  return {};
}

Result<std::vector<uint8_t>> Context::serialize_module() const {
  if (Status s = require({State::module_loaded, State::instantiated,
                          State::trapped, State::awaiting_import},
                         "serialize_module");
      !s)
    return s.error();
  Result<std::vector<uint8_t>> bytes = engine::serialize(*module_);
  if (!bytes)
    return fail(bytes.error());
  return bytes;
}

const std::vector<ExternDesc> &Context::imports() const {
  static const std::vector<ExternDesc> none;
  return module_ ? engine::imports(*module_) : none;
}

const std::vector<ExternDesc> &Context::exports() const {
  static const std::vector<ExternDesc> none;
  return module_ ? engine::exports(*module_) : none;
}

Status Context::instantiate(HostFunction default_function,
                            std::vector<ImportBinding> bindings) {
  if (Status s = require({State::module_loaded}, "instantiate"); !s)
    return s;
  const std::vector<ExternDesc> &wanted = imports();
  std::vector<HostFunction> functions(wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    const ExternDesc &imp = wanted[i];
    if (imp.kind != ExternKind::func)
      continue;
    for (const ImportBinding &b : bindings)
      if (b.module == imp.module && b.name == imp.name && b.function) {
        functions[i] = b.function;
        break;
      }
    if (!functions[i])
      functions[i] = default_function;
    if (!functions[i])
      return fail(make_error(ErrorKind::link, "no host function for import " +
                                                  imp.module + "." + imp.name +
                                                  " " + imp.signature));
  }
  import_functions_ = std::move(functions);
  return make_instance(false);
}

bool Context::can_suspend() { return engine::can_suspend(); }

Status Context::instantiate_suspending(HostFunction start_function) {
  if (Status s = require({State::module_loaded}, "instantiate_suspending"); !s)
    return s;
  if (!engine::can_suspend())
    return fail(
        make_error(ErrorKind::unsupported,
                   std::string(engine::name()) + " cannot suspend calls"));
  if (!start_function)
    start_function = [](HostCall &call) -> Status {
      for (size_t i = 0; i < call.import.func.results.size(); ++i)
        call.results[i] = zero_value(call.import.func.results[i]);
      return {};
    };
  import_functions_.assign(imports().size(), start_function);
  return make_instance(true);
}

Status Context::make_instance(bool suspending) {
  engine::InstanceSettings settings;
  settings.suspending_imports = suspending;
  settings.max_memory_bytes = options_.max_memory_bytes;
  settings.max_table_elements = options_.max_table_elements;
  settings.max_wasm_stack = options_.max_stack_bytes;
  settings.fuel = options_.fuel_per_call;
  settings.stop_requested = &stop_requested_;
  Result<std::unique_ptr<engine::Instance>> made = engine::Instance::create(
      engine_, module_,
      [this](size_t index, const wasm_val_t *args, wasm_val_t *results) {
        return answer_import(index, args, results);
      },
      settings);
  if (!made) {
    import_functions_.clear();
    Error error = made.error();
    if (stop_requested_.exchange(false))
      error = make_error(ErrorKind::interrupted,
                         "instantiation interrupted: " + error.message);
    return fail(error);
  }
  std::lock_guard<std::mutex> lock(instance_mutex_);
  instance_ = std::move(made.value());
  suspending_ = suspending;
  state_ = State::instantiated;
  return {};
}

Status Context::answer_import(size_t index, const wasm_val_t *args,
                              wasm_val_t *results) {
  const ExternDesc &imp = imports()[index];
  // A start function runs during instantiation, before the context counts as
  // instantiated; its imports are answered all the same.
  State before = state_;
  if (state_ == State::destroyed)
    return make_error(ErrorKind::trap, "context was destroyed");
  state_ = State::awaiting_import;
  HostCall call{*this, imp, args, results};
  Status status = import_functions_[index](call);
  if (state_ != State::destroyed)
    state_ = before;
  if (!status)
    return status;
  for (size_t i = 0; i < imp.func.results.size(); ++i) {
    wasm_valkind_t expected;
    if (!to_wasm_valkind(imp.func.results[i], &expected) ||
        results[i].kind != expected)
      return make_error(ErrorKind::trap,
                        "host function for " + imp.module + "." + imp.name +
                            " returned a result of the wrong type");
  }
  return {};
}

Status Context::run_call(const FuncSig &sig,
                         const std::vector<wasm_val_t> &args,
                         std::vector<wasm_val_t> &results,
                         const std::function<Status(wasm_val_t *)> &invoke) {
  if (!args_match(sig, args))
    return fail(make_error(ErrorKind::invalid_argument,
                           describe_sig_mismatch(sig, args)));
  results.clear();
  for (ValType t : sig.results)
    results.push_back(zero_value(t));
  const bool top_level = call_depth_ == 0;
  if (top_level) {
    if (Status ready = prepare_top_level_call(); !ready)
      return ready;
    arm_time_limit();
  }
  State before = state_;
  state_ = State::running_export;
  ++call_depth_;
  Status status = invoke(results.data());
  --call_depth_;
  if (top_level)
    status = top_level_outcome(status);
  if (state_ == State::destroyed) {
    if (status)
      status = make_error(ErrorKind::invalid_state,
                          "context was destroyed during the call");
    return fail(status.error());
  }
  // Nested calls return to the host function that made them.
  if (call_depth_ > 0)
    state_ = before;
  else
    state_ = status ? State::instantiated : State::trapped;
  if (!status)
    return fail(status.error());
  return status;
}

Status Context::prepare_top_level_call() {
  if (stop_requested_.exchange(false))
    return fail(make_error(ErrorKind::interrupted,
                           "interrupted before the call started"));
  if (options_.fuel_per_call > 0)
    if (Status fuel = instance_->set_fuel(options_.fuel_per_call); !fuel)
      return fail(fuel.error());
  return {};
}

void Context::arm_time_limit() {
  if (call_timeout_ms_ > 0)
    watchdog::arm(this, watchdog::Clock::now() +
                            std::chrono::milliseconds(call_timeout_ms_));
}

Status Context::top_level_outcome(Status status) {
  if (call_timeout_ms_ > 0)
    watchdog::disarm(this);
  // A stop that came in time decides what the failure was; one that came
  // too late to matter is simply dropped.
  const bool timed_out = timed_out_.exchange(false);
  const bool stopped = stop_requested_.exchange(false);
  if (!status && timed_out)
    return make_error(ErrorKind::timeout, "call exceeded its time limit of " +
                                              std::to_string(call_timeout_ms_) +
                                              " ms");
  if (!status && stopped)
    return make_error(ErrorKind::interrupted, "call interrupted");
  return status;
}

Result<CallProgress> Context::start_call(std::string_view name,
                                         const std::vector<wasm_val_t> &args,
                                         std::chrono::microseconds slice) {
  if (name.empty())
    return fail(make_error(ErrorKind::lookup, "no export named \"\""));
  return begin_suspendable(name, 0, args, slice);
}

Result<CallProgress>
Context::start_call_indirect(uint64_t index,
                             const std::vector<wasm_val_t> &args,
                             std::chrono::microseconds slice) {
  return begin_suspendable({}, index, args, slice);
}

Result<CallProgress>
Context::begin_suspendable(std::string_view name, uint64_t index,
                           const std::vector<wasm_val_t> &args,
                           std::chrono::microseconds slice) {
  const char *operation = name.empty() ? "start_call_indirect" : "start_call";
  if (Status s = require_instance(operation); !s)
    return s.error();
  if (!suspending_)
    return fail(
        make_error(ErrorKind::invalid_state, std::string(operation) +
                                                 " needs a context made with "
                                                 "instantiate_suspending"));
  const bool top_level = instance_->suspended_calls() == 0;
  if (!top_level && !pending_import())
    return fail(make_error(ErrorKind::invalid_state,
                           "a nested call needs an import awaiting its "
                           "answer"));
  // Each level runs on a stack of its own, so no stack runs out however
  // deep a host nests: the depth is capped instead, as a stack would be.
  if (instance_->suspended_calls() >= kMaxNestedCalls)
    return fail(make_error(ErrorKind::trap, "call stack exhausted"));
  // A named export's signature is cached by the instance: no copy.
  FuncSig indirect_sig;
  const FuncSig *sig = nullptr;
  if (name.empty()) {
    Result<FuncSig> found = instance_->table_signature(index);
    if (!found)
      return fail(found.error());
    indirect_sig = std::move(found.value());
    sig = &indirect_sig;
  } else {
    Result<const FuncSig *> found = instance_->export_signature_ref(name);
    if (!found)
      return fail(found.error());
    sig = found.value();
  }
  if (!args_match(*sig, args))
    return fail(make_error(ErrorKind::invalid_argument,
                           describe_sig_mismatch(*sig, args)));
  if (top_level)
    if (Status ready = prepare_top_level_call(); !ready)
      return ready.error();
  if (Status begun = instance_->begin(name, index, args.data()); !begun)
    return fail(begun.error());
  if (top_level)
    arm_time_limit();
  state_ = State::running_export;
  return run_slice(slice);
}

Result<CallProgress> Context::resume(std::chrono::microseconds slice) {
  if (Status s = require({State::running_export}, "resume"); !s)
    return s.error();
  if (!suspending_ || instance_->suspended_calls() == 0)
    return fail(make_error(ErrorKind::invalid_state, "no call to resume"));
  return run_slice(slice);
}

Result<CallProgress> Context::run_slice(std::chrono::microseconds slice) {
  Result<engine::Progress> progress =
      instance_->poll(engine::SteadyClock::now() + slice);
  if (!progress)
    return fail(progress.error());
  switch (progress.value()) {
  case engine::Progress::finished: return settle_finished();
  case engine::Progress::awaiting_import:
    state_ = State::awaiting_import;
    return CallProgress::awaiting_import;
  case engine::Progress::yielded:
    state_ = State::running_export;
    return CallProgress::yielded;
  }
  return fail(make_error(ErrorKind::invalid_state, "unknown call progress"));
}

Result<CallProgress> Context::settle_finished() {
  Status status = instance_->finish(results_);
  const bool top_level = instance_->suspended_calls() == 0;
  if (top_level) {
    status = top_level_outcome(status);
    state_ = status ? State::instantiated : State::trapped;
  } else {
    // Back in the import the finished call was nested in.
    state_ = State::awaiting_import;
  }
  if (!status) {
    results_.clear();
    return fail(status.error());
  }
  return CallProgress::finished;
}

std::optional<ImportRequest> Context::pending_import() const {
  if (!suspending_ || !instance_)
    return std::nullopt;
  const engine::PendingImport *pending = instance_->pending_import();
  if (pending == nullptr)
    return std::nullopt;
  return ImportRequest{&imports()[pending->index], &pending->args};
}

Status Context::resolve_import(const std::vector<wasm_val_t> &results) {
  std::optional<ImportRequest> pending = pending_import();
  if (!pending)
    return fail(make_error(ErrorKind::invalid_state,
                           "resolve_import: no import awaits an answer"));
  const ExternDesc &imp = *pending->import;
  if (timed_out_.load())
    return reject_import("call exceeded its time limit while its import " +
                         imp.module + "." + imp.name + " was answered");
  bool match = results.size() == imp.func.results.size();
  for (size_t i = 0; match && i < results.size(); ++i) {
    wasm_valkind_t expected;
    match = to_wasm_valkind(imp.func.results[i], &expected) &&
            results[i].kind == expected;
  }
  if (!match)
    return fail(make_error(ErrorKind::invalid_argument,
                           "results do not match import " + imp.module + "." +
                               imp.name + " " + imp.signature));
  if (Status answered = instance_->answer(results.data()); !answered)
    return fail(answered.error());
  state_ = State::running_export;
  return {};
}

Status Context::reject_import(std::string message) {
  if (!pending_import())
    return fail(make_error(ErrorKind::invalid_state,
                           "reject_import: no import awaits an answer"));
  instance_->reject(std::move(message));
  state_ = State::running_export;
  return {};
}

size_t Context::suspended_calls() const {
  return suspending_ && instance_ ? instance_->suspended_calls() : 0;
}

void Context::abandon_calls() {
  if (suspended_calls() == 0)
    return;
  instance_->abandon();
  (void)top_level_outcome(make_error(ErrorKind::interrupted, "abandoned"));
  state_ = State::trapped;
}

Status Context::call(std::string_view name, const std::vector<wasm_val_t> &args,
                     std::vector<wasm_val_t> &results) {
  if (Status s = require_instance("call"); !s)
    return s;
  if (suspending_)
    return fail(make_error(ErrorKind::invalid_state,
                           "call is not allowed on a context made with "
                           "instantiate_suspending (use start_call)"));
  Result<FuncSig> sig = instance_->export_signature(name);
  if (!sig)
    return fail(sig.error());
  return run_call(sig.value(), args, results, [&](wasm_val_t *out) {
    return instance_->call(name, args.data(), out);
  });
}

Status Context::call_indirect(uint64_t index,
                              const std::vector<wasm_val_t> &args,
                              std::vector<wasm_val_t> &results) {
  if (Status s = require_instance("call_indirect"); !s)
    return s;
  if (suspending_)
    return fail(make_error(ErrorKind::invalid_state,
                           "call_indirect is not allowed on a context made "
                           "with instantiate_suspending (use "
                           "start_call_indirect)"));
  Result<FuncSig> sig = instance_->table_signature(index);
  if (!sig)
    return fail(sig.error());
  return run_call(sig.value(), args, results, [&](wasm_val_t *out) {
    return instance_->call_indirect(index, args.data(), out);
  });
}

Result<FuncSig> Context::export_signature(std::string_view name) const {
  if (Status s = require({State::module_loaded, State::instantiated,
                          State::trapped, State::awaiting_import},
                         "export_signature");
      !s)
    return s.error();
  for (const ExternDesc &e : exports()) {
    if (e.name != name)
      continue;
    if (e.kind != ExternKind::func)
      return fail(
          make_error(ErrorKind::lookup,
                     "export \"" + std::string(name) + "\" is not a function"));
    return e.func;
  }
  return fail(make_error(ErrorKind::lookup,
                         "no export named \"" + std::string(name) + "\""));
}

Result<FuncSig> Context::table_signature(uint64_t index) const {
  if (Status s = require_instance("table_signature"); !s)
    return s.error();
  Result<FuncSig> sig = instance_->table_signature(index);
  if (!sig)
    return fail(sig.error());
  return sig;
}

Result<uint64_t> Context::memory_size() const {
  if (Status s = require_instance("memory_size"); !s)
    return s.error();
  Result<engine::MemoryView> mem = instance_->memory();
  if (!mem)
    return fail(mem.error());
  return mem.value().size;
}

Result<bool> Context::memory_is64() const {
  if (Status s = require_instance("memory_is64"); !s)
    return s.error();
  Result<engine::MemoryView> mem = instance_->memory();
  if (!mem)
    return fail(mem.error());
  return mem.value().is64;
}

namespace {
// offset + length <= size, without overflow.
bool in_bounds(uint64_t offset, size_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}
std::string bounds_message(const char *what, uint64_t offset, size_t length,
                           uint64_t size) {
  return std::string(what) + " of " + std::to_string(length) +
         " bytes at offset " + std::to_string(offset) +
         " is outside memory of " + std::to_string(size) + " bytes";
}
} // namespace

Status Context::memory_read(uint64_t offset, void *out, size_t length) const {
  if (Status s = require_instance("memory_read"); !s)
    return s;
  Result<engine::MemoryView> mem = instance_->memory();
  if (!mem)
    return fail(mem.error());
  if (!in_bounds(offset, length, mem.value().size))
    return fail(
        make_error(ErrorKind::out_of_bounds,
                   bounds_message("read", offset, length, mem.value().size)));
  if (length > 0)
    std::memcpy(out, mem.value().data + offset, length);
  return {};
}

Status Context::memory_write(uint64_t offset, const void *data, size_t length) {
  if (Status s = require_instance("memory_write"); !s)
    return s;
  Result<engine::MemoryView> mem = instance_->memory();
  if (!mem)
    return fail(mem.error());
  if (!in_bounds(offset, length, mem.value().size))
    return fail(
        make_error(ErrorKind::out_of_bounds,
                   bounds_message("write", offset, length, mem.value().size)));
  if (length > 0)
    std::memcpy(mem.value().data + offset, data, length);
  return {};
}

Result<uint64_t> Context::memory_grow(uint64_t delta_pages) {
  if (Status s = require_instance("memory_grow"); !s)
    return s.error();
  Result<uint64_t> old = instance_->memory_grow(delta_pages);
  if (!old)
    return fail(old.error());
  return old;
}

Result<wasm_val_t> Context::global_get(std::string_view name) const {
  if (Status s = require_instance("global_get"); !s)
    return s.error();
  Result<wasm_val_t> value = instance_->global_get(name);
  if (!value)
    return fail(value.error());
  return value;
}

Status Context::global_set(std::string_view name, const wasm_val_t &value) {
  if (Status s = require_instance("global_set"); !s)
    return s;
  Status set = instance_->global_set(name, value);
  if (!set)
    return fail(set.error());
  return set;
}

void *Context::engine_store() const {
  return instance_ ? instance_->store_handle() : nullptr;
}

} // namespace hb_beamr
