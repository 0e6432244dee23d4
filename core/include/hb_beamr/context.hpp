// A context is one WebAssembly instance with its store, module and state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

/// Limits and modes of one context, fixed when it is created. Zero means the
/// default below; kNoLimit lifts a default where one exists.
struct ContextOptions {
  /// A limit that lifts the default (memory, tables): a hostile module may
  /// then take as much as the engine gives it.
  static constexpr uint64_t kNoLimit = UINT64_MAX;
  /// max_memory_bytes when none is given: 4 GiB, enough for every 32-bit
  /// memory and for AO-style wasm64 processes of the common sizes, while a
  /// module growing without end fails its grow instead of taking the host.
  static constexpr uint64_t kDefaultMaxMemoryBytes = uint64_t{4} << 30;
  /// Largest size of any linear memory, in bytes (0: the default, kNoLimit:
  /// none of ours). A memory.grow past it fails inside WebAssembly (returns
  /// -1), as the spec allows; a module whose initial memory is larger fails
  /// to instantiate. On Wasmtime a memory never moves: it reserves address
  /// space for this limit (at least 4 GiB; 64 GiB with kNoLimit) and cannot
  /// grow past its reservation.
  uint64_t max_memory_bytes = 0;
  /// Largest number of elements of any table (table.grow fails past it; 0:
  /// the engine's default, 10,000,000 on Wasmtime and none on WAMR;
  /// kNoLimit: none).
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
  /// Frees the instance, module reference and store. Not from inside one of
  /// the context's own calls (the C facade defers that until the outermost
  /// call returns).
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
  /// Valid as long as the context.
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
  bool suspends_calls() const;

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
  /// Results of the suspendable call that last finished (moved out).
  std::vector<wasm_val_t> take_results();
  /// Suspendable calls in progress, nested ones included.
  size_t suspended_calls() const;
  /// Unwinds and drops every suspendable call in progress (for a caller that
  /// went away). The context stays usable: state TRAPPED.
  void abandon_calls();

  /// Calls an exported function by name. `args` must match its parameters in
  /// count and type; `results` is resized to its result count. Allowed in
  /// INSTANTIATED and TRAPPED, and (re-entrantly) from a host function in
  /// AWAITING_IMPORT. A trap fails with `trap` and leaves the context usable
  /// (state TRAPPED). Runs to its end on the calling thread, and so do the
  /// host functions it calls (on an engine that can suspend, as a
  /// suspendable call polled to its end, each import answered by its host
  /// function).
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

  /// Limits each later top-level call to `milliseconds` of wall-clock time
  /// (0: no limit, the default). The limit is read when a top-level call
  /// starts (call(), call_indirect(), or a start_call*() with no call in
  /// progress), which fixes that call's deadline: changing the limit during a
  /// call affects only the next one. The deadline holds across slices,
  /// imports and nested calls, and whichever thread resumes the call. Once it
  /// has passed, the call is stopped within a few milliseconds, and every
  /// failure of it (a trap, a rejected or late import, an interruption) is
  /// reported as `timeout`; a call that finishes successfully stays a
  /// success. An import answered after the deadline (by resolve_import(), or
  /// a host function that returns after it) makes the call fail with
  /// `timeout`. The instance stays usable afterwards (state TRAPPED).
  void set_call_timeout(uint64_t milliseconds);

  /// The deadline of the top-level call in progress (suspended ones
  /// included), or nullopt when no call is in progress or it has no time
  /// limit. Lets a caller bound its own waits, e.g. for an import's answer.
  /// Like every method but interrupt(), from the thread using the context.
  std::optional<std::chrono::steady_clock::time_point> call_deadline() const;

  /// The options this context was created with.
  const ContextOptions &options() const;

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
  /// Zeroes `length` bytes of memory at `offset` in place (out_of_bounds as
  /// memory_write). Only pages that are not zero already are written, so
  /// pages never touched are not made resident.
  Status memory_zero(uint64_t offset, uint64_t length);
  Result<uint64_t> memory_grow(uint64_t delta_pages);

  /// Reads / writes an exported global. Writing checks type and mutability.
  Result<wasm_val_t> global_get(std::string_view name) const;
  Status global_set(std::string_view name, const wasm_val_t &value);

  /// Message of the last failed operation on this context ("" if none).
  /// Valid until the next operation on the context.
  const std::string &last_error() const;

  /// Number of contexts alive in this process (for leak checks).
  static size_t live_count();

  /// The private state (context_impl.hpp); public only so that the core's
  /// internal headers can name it.
  struct Impl;

private:
  explicit Context(std::unique_ptr<Impl> impl);
  // Lets the core's internal code (context_internal.hpp) reach impl_.
  friend struct ContextAccess;
  std::unique_ptr<Impl> impl_;
};

} // namespace hb_beamr
