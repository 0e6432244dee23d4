// Context: its life cycle (create, load, instantiate, destroy), the state
// machine's checks, and the answer to a blocking import. Calls, deadlines and
// memory live in the other context_*.cpp files.
#include "hb_beamr/context.hpp"

#include <atomic>
#include <exception>

#include "context_impl.hpp"
#include "context_internal.hpp"
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

// Address space a memory reserves when its limit is lifted (kNoLimit): a
// memory that cannot move cannot grow past it, and each one takes this much
// of the process's 128 TiB, so it is large but not the whole of it.
constexpr uint64_t kUnlimitedReservation = uint64_t{64} << 30;
// Reservations past this could not be mapped anyway; capping them keeps the
// rounding below from overflowing.
constexpr uint64_t kLargestReservation = uint64_t{1} << 46;
constexpr uint64_t kWasmPageBytes = 65536;

// The memory limit the engine enforces (0: none of ours).
uint64_t memory_limit(const ContextOptions &options) {
  if (options.max_memory_bytes == 0)
    return ContextOptions::kDefaultMaxMemoryBytes;
  if (options.max_memory_bytes == ContextOptions::kNoLimit)
    return 0;
  return options.max_memory_bytes;
}

// The reservation that lets every memory grow to its limit in place (0: the
// engine's default, which covers the default limit): moving a memory that
// outgrew its reservation copies all of it, gigabytes at a time.
uint64_t memory_reservation(const ContextOptions &options) {
  const uint64_t limit = memory_limit(options);
  if (limit == 0)
    return kUnlimitedReservation;
  if (limit <= ContextOptions::kDefaultMaxMemoryBytes)
    return 0;
  if (limit > kLargestReservation)
    return kLargestReservation;
  return (limit + kWasmPageBytes - 1) / kWasmPageBytes * kWasmPageBytes;
}

// The engine profile `options` need; invalid options never reach the engine
// (Wasmtime aborts on a config it rejects), so they get the default one.
engine::EngineProfile profile_for(const ContextOptions &options, bool valid) {
  engine::EngineProfile profile;
  if (valid) {
    profile.consume_fuel = options.fuel_per_call > 0;
    profile.deterministic = options.deterministic;
    profile.max_wasm_stack = options.max_stack_bytes;
    profile.memory_reservation = memory_reservation(options);
  }
  return profile;
}

} // namespace

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
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
  std::unique_ptr<Context> ctx(new (std::nothrow) Context(nullptr));
  if (!ctx)
    return nullptr;
  ctx->impl_.reset(new (std::nothrow) Impl(*ctx));
  if (!ctx->impl_)
    return nullptr;
  Impl &self = *ctx->impl_;
  self.options = options;
  if (options.max_stack_bytes > max_stack_limit) {
    self.options_error = make_error(ErrorKind::invalid_argument,
                                    "max_stack_bytes may be at most " +
                                        std::to_string(max_stack_limit));
  }
  // The context then sits on the default engine and refuses to load.
  runtime::Snapshot rt =
      runtime::snapshot(profile_for(options, !self.options_error));
  if (rt.generation == 0) {
    self.last_error = "runtime is not initialized";
    return ctx;
  }
  self.engine = std::move(rt.engine);
  self.runtime_generation = rt.generation;
  self.state = State::context_created;
  if (rt.error && !self.options_error)
    self.options_error = rt.error;
  return ctx;
}

void Context::interrupt() {
  Impl &self = *impl_;
  self.stop_requested = true;
  std::lock_guard<std::mutex> lock(self.instance_mutex);
  if (self.instance)
    self.instance->interrupt();
  else if (self.engine)
    engine::interrupt_all(self.engine); // a start function may be running
}

void watchdog_expire(Context &ctx) {
  ContextAccess::of(ctx).timed_out = true;
  ctx.interrupt();
}

State Context::Impl::current_state() const {
  if (state == State::uninitialized || state == State::destroyed)
    return state;
  if (runtime::current_generation() != runtime_generation)
    return State::runtime_destroyed;
  return state;
}

State Context::state() const { return impl_->current_state(); }

Error Context::Impl::fail(Error error) const {
  last_error = error.message;
  return error;
}

Status Context::Impl::require(std::initializer_list<State> allowed,
                              const char *operation) const {
  State now = current_state();
  for (State s : allowed)
    if (s == now)
      return {};
  return fail(make_error(ErrorKind::invalid_state,
                         std::string(operation) + " is not allowed in state " +
                             state_name(now) + " (needs " + kind_list(allowed) +
                             ")"));
}

Status Context::Impl::require_instance(const char *operation) const {
  if (Status s = require(kCallableStates, operation); !s)
    return s;
  // A start function's host function may try to call back before the
  // instance exists.
  if (!instance)
    return fail(
        make_error(ErrorKind::invalid_state,
                   std::string(operation) +
                       " is not allowed while the start function runs"));
  return {};
}

Status Context::load(const uint8_t *bytes, size_t size) {
  Impl &self = *impl_;
  if (Status s = self.require({State::context_created}, "load"); !s)
    return s;
  if (self.options_error)
    return self.fail(*self.options_error);
  if (bytes == nullptr && size > 0)
    return self.fail(
        make_error(ErrorKind::invalid_argument, "null module buffer"));
  Result<engine::ModulePtr> module =
      module_cache::compile(self.engine, bytes, size);
  if (!module)
    return self.fail(module.error());
  self.module = module.value();
  self.state = State::module_loaded;
  return {};
}

Status Context::load_precompiled(const uint8_t *bytes, size_t size) {
  Impl &self = *impl_;
  if (Status s = self.require({State::context_created}, "load_precompiled"); !s)
    return s;
  if (self.options_error)
    return self.fail(*self.options_error);
  if (bytes == nullptr && size > 0)
    return self.fail(
        make_error(ErrorKind::invalid_argument, "null module buffer"));
  Result<engine::ModulePtr> module =
      engine::deserialize(self.engine, bytes, size);
  if (!module)
    return self.fail(module.error());
  self.module = module.value();
  self.state = State::module_loaded;
  return {};
}

Result<std::vector<uint8_t>> Context::serialize_module() const {
  if (Status s = impl_->require({State::module_loaded, State::instantiated,
                                 State::trapped, State::awaiting_import},
                                "serialize_module");
      !s)
    return s.error();
  Result<std::vector<uint8_t>> bytes = engine::serialize(*impl_->module);
  if (!bytes)
    return impl_->fail(bytes.error());
  return bytes;
}

const std::vector<ExternDesc> &Context::Impl::module_imports() const {
  static const std::vector<ExternDesc> none;
  return module ? engine::imports(*module) : none;
}

const std::vector<ExternDesc> &Context::imports() const {
  return impl_->module_imports();
}

const std::vector<ExternDesc> &Context::exports() const {
  static const std::vector<ExternDesc> none;
  return impl_->module ? engine::exports(*impl_->module) : none;
}

Status Context::instantiate(HostFunction default_function,
                            std::vector<ImportBinding> bindings) {
  Impl &self = *impl_;
  if (Status s = self.require({State::module_loaded}, "instantiate"); !s)
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
      return self.fail(make_error(ErrorKind::link,
                                  "no host function for import " + imp.module +
                                      "." + imp.name + " " + imp.signature));
  }
  self.import_functions = std::move(functions);
  self.suspending = false;
  return self.make_instance();
}

bool Context::can_suspend() { return engine::can_suspend(); }

Status Context::instantiate_suspending(HostFunction start_function) {
  Impl &self = *impl_;
  if (Status s = self.require({State::module_loaded}, "instantiate_suspending");
      !s)
    return s;
  if (!engine::can_suspend())
    return self.fail(
        make_error(ErrorKind::unsupported,
                   std::string(engine::name()) + " cannot suspend calls"));
  if (!start_function)
    start_function = [](HostCall &call) -> Status {
      for (size_t i = 0; i < call.import.func.results.size(); ++i)
        call.results[i] = zero_value(call.import.func.results[i]);
      return {};
    };
  self.import_functions.assign(imports().size(), start_function);
  self.suspending = true;
  return self.make_instance();
}

bool Context::suspends_calls() const { return impl_->suspending; }

Status Context::Impl::make_instance() {
  engine::InstanceSettings settings;
  settings.max_memory_bytes = memory_limit(options);
  settings.max_table_elements = options.max_table_elements;
  settings.max_wasm_stack = options.max_stack_bytes;
  settings.fuel = options.fuel_per_call;
  settings.stop_requested = &stop_requested;
  Result<std::unique_ptr<engine::Instance>> made = engine::Instance::create(
      engine, module,
      [this](size_t index, const wasm_val_t *args, wasm_val_t *results) {
        return answer_import(index, args, results);
      },
      settings);
  if (!made) {
    import_functions.clear();
    Error error = made.error();
    if (stop_requested.exchange(false))
      error = make_error(ErrorKind::interrupted,
                         "instantiation interrupted: " + error.message);
    return fail(error);
  }
  std::lock_guard<std::mutex> lock(instance_mutex);
  instance = std::move(made.value());
  state = State::instantiated;
  return {};
}

namespace {
// Runs a host function; an exception it throws becomes a trap, since
// unwinding through an engine's frames is undefined.
Status run_host_function(const HostFunction &function, HostCall &call) {
  try {
    return function(call);
  } catch (const std::exception &e) {
    return make_error(ErrorKind::trap,
                      std::string("host function threw: ") + e.what());
  } catch (...) {
    return make_error(ErrorKind::trap, "host function threw");
  }
}
} // namespace

Status Context::Impl::answer_import(size_t index, const wasm_val_t *args,
                                    wasm_val_t *results) {
  const ExternDesc &imp = module_imports()[index];
  // A start function runs during instantiation, before the context counts as
  // instantiated; its imports are answered all the same.
  State before = state;
  if (state == State::destroyed)
    return make_error(ErrorKind::trap, "context was destroyed");
  state = State::awaiting_import;
  HostCall call{owner, imp, args, results};
  Status status = run_host_function(import_functions[index], call);
  if (state != State::destroyed)
    state = before;
  if (!status)
    return status;
  // An answer after the deadline is not used: the call fails as timed out.
  if (deadline_passed())
    return make_error(ErrorKind::timeout,
                      "call exceeded its time limit while its import " +
                          imp.module + "." + imp.name + " was answered");
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

const ContextOptions &Context::options() const { return impl_->options; }

const std::string &Context::last_error() const { return impl_->last_error; }

namespace internal {

bool in_call(const Context &ctx) {
  const Context::Impl &self = ContextAccess::of(ctx);
  return self.call_depth > 0;
}

void mark_destroyed(Context &ctx) {
  ContextAccess::of(ctx).state = State::destroyed;
}

void *engine_store(const Context &ctx) {
  const Context::Impl &self = ContextAccess::of(ctx);
  return self.instance ? self.instance->store_handle() : nullptr;
}

wasm_trap_t *new_trap(const Context *ctx, std::string_view message) {
  return engine::new_trap(ctx != nullptr ? engine_store(*ctx) : nullptr,
                          message);
}

std::string trap_text(const wasm_trap_t *trap) {
  return engine::trap_text(trap);
}

} // namespace internal
} // namespace hb_beamr
