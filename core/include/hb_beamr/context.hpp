// A context is one WebAssembly instance with its store, module and state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

/// One WebAssembly module instance: store + module + instance + state.
///
/// Not thread-safe: use a context from one thread at a time (any thread, not
/// necessarily the one that created it). All of its memory views are valid only
/// until the next call into WebAssembly or memory grow.
class Context {
public:
  /// Creates a context on the current runtime. Its state is CONTEXT_CREATED, or
  /// UNINITIALIZED if no runtime exists (every operation then fails with
  /// invalid_state). Returns null only if memory is exhausted.
  static std::unique_ptr<Context> create();
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
