// A context is one WebAssembly instance with its store, module and state.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wasm.h>

#include "hb_beamr/result.hpp"
#include "hb_beamr/state.hpp"
#include "hb_beamr/types.hpp"

namespace hb_beamr {

class Context;

/// What a host function sees when WebAssembly calls one of its imports.
struct HostCall {
  Context &context;
  const ExternDesc &import; ///< module, name and FuncSig of the import
  const wasm_val_t *args;   ///< import.func.params.size() values
  wasm_val_t *results;      ///< import.func.results.size() values to fill
};

/// A host function. Return ok after filling `results`, or an Error whose
/// message becomes the trap text seen by the caller of the export. It may call
/// exports of the same context (re-entrancy) and read or write its memory.
using HostFunction = std::function<Status(HostCall &)>;

/// A host function bound to one (module, name) import.
struct ImportBinding {
  std::string module;
  std::string name;
  HostFunction function;
};

namespace engine {
class Instance;
class Module;
} // namespace engine

/// Where a suspendable call stands when start_call() or resume() returns.
enum class CallProgress {
  /// The innermost call returned; take_results() has its results.
  finished,
  /// The innermost call called a function import and waits for its answer:
  /// see pending_import(), then resolve_import() or reject_import().
  awaiting_import,
  /// The innermost call used up its time slice; resume() continues it.
  yielded,
};

/// The function import a suspended call waits for.
struct ImportRequest {
  const ExternDesc *import;            ///< module, name and signature
  const std::vector<wasm_val_t> *args; ///< import->func.params.size() values
};

/// Limits and modes of one context, fixed when it is created. Zero means "no
/// limit of our own" everywhere.
struct ContextOptions {
  /// Largest size of any linear memory, in bytes. A memory.grow past it fails
  /// inside WebAssembly (returns -1), as the spec allows; a module whose
  /// initial memory is larger fails to instantiate.
  uint64_t max_memory_bytes = 0;
  /// Largest number of elements of any table (table.grow fails past it).
  uint64_t max_table_elements = 0;
  /// Fuel (roughly, WebAssembly instructions) each top-level call may spend;
  /// running out traps with "all fuel consumed". Engines without fuel refuse
  /// to load with `unsupported`.
  uint64_t fuel_per_call = 0;
  /// Native stack WebAssembly may use, in bytes (engine default if 0; 512 KiB
  /// on Wasmtime). The thread running the context must have this much stack
  /// plus about 1 MiB for the host; at most 64 MiB.
  uint64_t max_stack_bytes = 0;
  /// Deterministic execution for replay: NaN results are canonicalized and
  /// nondeterministic features are off, so the same inputs give the same bits
  /// on every machine. Engines that cannot promise it refuse with
  /// `unsupported`.
  bool deterministic = false;
};

/// One WebAssembly module instance: store + module + instance + state.
///
/// Not thread-safe: use a context from one thread at a time (any thread, not
/// necessarily the one that created it). All of its memory views are valid only
/// until the next call into WebAssembly or memory grow.
class Context {
public:
  /// Creates a context on the current runtime. Its state is CONTEXT_CREATED, or
  /// UNINITIALIZED if no runtime exists (every operation then fails with
  /// invalid_state). Returns null only if memory is exhausted. Options the
  /// engine cannot honour make load() fail with `unsupported`.
  static std::unique_ptr<Context> create(const ContextOptions &options = {});
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  /// Current state; RUNTIME_DESTROYED once the runtime it was made on is gone.
  State state() const;

  /// Compiles a WebAssembly binary. CONTEXT_CREATED -> MODULE_LOADED.
  Status load(const uint8_t *bytes, size_t size);

  /// Loads a module precompiled by serialize_module() with the same engine
  /// build. CONTEXT_CREATED -> MODULE_LOADED. Corrupt or incompatible input
  /// fails with `load`; an engine that cannot do this fails with `unsupported`.
  Status load_precompiled(const uint8_t *bytes, size_t size);

  /// The loaded module compiled to the engine's native format (for
  /// load_precompiled). Needs MODULE_LOADED or later.
  Result<std::vector<uint8_t>> serialize_module() const;

  /// The module's imports and exports, in module order. Empty before load.
  const std::vector<ExternDesc> &imports() const;
  const std::vector<ExternDesc> &exports() const;

  /// Instantiates the loaded module. Each function import is answered by the
  /// binding with its (module, name), else by `default_function`; with neither
  /// it fails with `link`. Memory, table and global imports are given fresh
  /// objects of the imported type (globals zero). MODULE_LOADED ->
  /// INSTANTIATED. A trapping start function fails with `instantiate`.
  Status instantiate(HostFunction default_function,
                     std::vector<ImportBinding> bindings);

  /// Whether this build's engine can suspend calls (Wasmtime can, WAMR
  /// cannot). Without it instantiate_suspending() fails with `unsupported`.
  static bool can_suspend();

  /// Instantiates the loaded module for suspendable calls: a function import
  /// called during a call does not run any host code but suspends the call
  /// (see start_call()). Imports called by the start function, which runs
  /// to its end here, are answered by `start_function` if given, else with
  /// zeros of their result types. Memory, table and global imports are as in
  /// instantiate(). MODULE_LOADED -> INSTANTIATED. Plain call() and
  /// call_indirect() are refused on such a context.
  Status instantiate_suspending(HostFunction start_function = {});

  /// Whether the context was instantiated with instantiate_suspending().
  bool suspends_calls() const { return suspending_; }

  /// Most suspendable calls nested in one another (each nested in an
  /// awaited import of the one before). One more fails with `trap` "call
  /// stack exhausted", as running out of stack would.
  static constexpr size_t kMaxNestedCalls = 128;

  /// Starts a suspendable call of an export and runs it for at most about
  /// `slice` (the engine checks the clock every millisecond). Allowed in
  /// INSTANTIATED and TRAPPED (a top-level call) and in AWAITING_IMPORT (a
  /// call nested in the awaited import; the outer call then stays suspended
  /// until the nested one has finished and the import is answered). Returns
  /// how the call stands; a trap or other failure of the call comes back as
  /// an error, as from call(), and ends that call (only). The time limit of
  /// set_call_timeout() and interrupt() apply across slices and imports.
  Result<CallProgress> start_call(std::string_view name,
                                  const std::vector<wasm_val_t> &args,
                                  std::chrono::microseconds slice);
  /// start_call() for the function at `index` of the function table.
  Result<CallProgress> start_call_indirect(uint64_t index,
                                           const std::vector<wasm_val_t> &args,
                                           std::chrono::microseconds slice);
  /// Continues the innermost suspended call for another slice: after a
  /// yield (state RUNNING_EXPORT), or once its import has been answered.
  Result<CallProgress> resume(std::chrono::microseconds slice);
  /// The import the innermost call waits for; nullopt if none does.
  std::optional<ImportRequest> pending_import() const;
  /// Answers the awaited import with `results` (checked against its
  /// signature: a mismatch fails with invalid_argument and leaves the import
  /// waiting). AWAITING_IMPORT -> RUNNING_EXPORT; resume() goes on. An
  /// answer that comes after the call's time limit makes the import trap,
  /// and the call fails with `timeout`.
  Status resolve_import(const std::vector<wasm_val_t> &results);
  /// Makes the awaited import trap with `message`; resume() unwinds the call.
  Status reject_import(std::string message);
  /// Results of the call that last finished (moved out).
  std::vector<wasm_val_t> take_results() { return std::move(results_); }
  /// Suspendable calls in progress, nested ones included.
  size_t suspended_calls() const;
  /// Unwinds and drops every suspendable call in progress (for a caller that
  /// went away). The context stays usable: state TRAPPED.
  void abandon_calls();

  /// Calls an exported function by name. `args` must match its parameters in
  /// count and type; `results` is resized to its result count. Allowed in
  /// INSTANTIATED and TRAPPED, and (re-entrantly) from a host function in
  /// AWAITING_IMPORT. A trap fails with `trap` and leaves the context usable
  /// (state TRAPPED).
  Status call(std::string_view name, const std::vector<wasm_val_t> &args,
              std::vector<wasm_val_t> &results);

  /// Calls the function at `index` of the exported function table
  /// (`__indirect_function_table` if exported, else the first exported
  /// funcref table), as call_indirect would. Same states and errors as call().
  Status call_indirect(uint64_t index, const std::vector<wasm_val_t> &args,
                       std::vector<wasm_val_t> &results);

  /// Stops the call in progress, or else the next top-level call, with
  /// `interrupted`, as soon as the engine notices (at the next loop iteration
  /// or function entry, typically microseconds). Thread-safe: this is the one
  /// method that may be called from any thread while another uses the
  /// context. The instance stays usable afterwards (state TRAPPED).
  void interrupt();

  /// Limits every later top-level call to `milliseconds` of wall-clock time
  /// (0: no limit, the default); a call past it fails with `timeout`, within a
  /// few milliseconds of the deadline. Nested calls count toward the call
  /// that contains them. The instance stays usable afterwards.
  void set_call_timeout(uint64_t milliseconds) {
    call_timeout_ms_ = milliseconds;
  }

  /// The options this context was created with.
  const ContextOptions &options() const { return options_; }

  /// Signature of an exported function (from MODULE_LOADED on) / of a
  /// function-table entry (needs an instance: INSTANTIATED, TRAPPED or
  /// AWAITING_IMPORT).
  Result<FuncSig> export_signature(std::string_view name) const;
  Result<FuncSig> table_signature(uint64_t index) const;

  /// Default memory: the export named "memory", else the first exported
  /// memory. Size in bytes; reads and writes are bounds-checked (nothing is
  /// touched on out_of_bounds). grow() returns the old size in pages, and
  /// fails with out_of_bounds when the memory cannot grow that much.
  Result<uint64_t> memory_size() const;
  Result<bool> memory_is64() const;
  Status memory_read(uint64_t offset, void *out, size_t length) const;
  Status memory_write(uint64_t offset, const void *data, size_t length);
  Result<uint64_t> memory_grow(uint64_t delta_pages);

  /// Reads / writes an exported global. Writing checks type and mutability.
  Result<wasm_val_t> global_get(std::string_view name) const;
  Status global_set(std::string_view name, const wasm_val_t &value);

  /// Message of the last failed operation on this context ("" if none).
  const std::string &last_error() const { return last_error_; }

  /// The engine's store handle: `wasmtime_context_t*` on Wasmtime,
  /// `wasm_store_t*` on WAMR. Null before instantiation. Borrowed.
  void *engine_store() const;

  /// Number of contexts alive in this process (for leak checks).
  static size_t live_count();

  /// True while an export of this context is running (including inside its
  /// host functions).
  bool in_call() const { return call_depth_ > 0; }

  /// Moves the context to DESTROYED: every later operation fails with
  /// invalid_state. Used when destruction is requested from inside one of the
  /// context's own host functions, where the memory cannot be freed yet.
  void mark_destroyed() { state_ = State::destroyed; }

private:
  Context();
  // Fails with invalid_state unless the context is in one of `allowed`.
  Status require(std::initializer_list<State> allowed,
                 const char *operation) const;
  // require() for operations that need a live instance.
  Status require_instance(const char *operation) const;
  // Records a failure's message as last_error_ and passes it through.
  Error fail(Error error) const;
  // Checks args against `sig`, runs `invoke` with the state machine's
  // transitions, and records failures.
  Status run_call(const FuncSig &sig, const std::vector<wasm_val_t> &args,
                  std::vector<wasm_val_t> &results,
                  const std::function<Status(wasm_val_t *)> &invoke);
  Status answer_import(size_t index, const wasm_val_t *args,
                       wasm_val_t *results);
  // Common part of the two instantiate functions.
  Status make_instance(bool suspending);
  // Starts a suspendable call (`name` empty: table entry `index`).
  Result<CallProgress> begin_suspendable(std::string_view name, uint64_t index,
                                         const std::vector<wasm_val_t> &args,
                                         std::chrono::microseconds slice);
  // Polls the innermost call and brings the state machine up to date.
  Result<CallProgress> run_slice(std::chrono::microseconds slice);
  // Settles a finished innermost call: its results or its error.
  Result<CallProgress> settle_finished();
  // Before a top-level call: a stop requested meanwhile fails it, and its
  // fuel is refilled. Then its time limit, if any, is armed.
  Status prepare_top_level_call();
  void arm_time_limit();
  // The error a top-level call ends with, once its time limit and stop
  // requests are taken into account (clears them).
  Status top_level_outcome(Status status);

  bool suspending_ = false;
  std::vector<wasm_val_t> results_;

  // The engine's error for options it cannot honour; load() reports it.
  std::optional<Error> options_error_;
  ContextOptions options_;
  uint64_t call_timeout_ms_ = 0;
  // Set by interrupt() (any thread) and by the watchdog at a deadline; read
  // by the engine while a call runs; cleared when a top-level call ends.
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> timed_out_{false};
  // Guards instance_ against interrupt() from another thread.
  mutable std::mutex instance_mutex_;
  friend void watchdog_expire(Context &);

  State state_;
  uint64_t runtime_generation_;
  int call_depth_ = 0;
  std::shared_ptr<wasm_engine_t> engine_;
  std::shared_ptr<const engine::Module> module_;
  std::unique_ptr<engine::Instance> instance_;
  std::vector<HostFunction> import_functions_; // by import index; empty if
                                               // not a function import
  mutable std::string last_error_;
};

} // namespace hb_beamr
