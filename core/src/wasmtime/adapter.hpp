// Internal to the Wasmtime adapter (core/src/wasmtime/*.cpp): the types its
// files share, and the value and error conversions between wasm.h, which the
// core speaks, and wasmtime.h, which the adapter calls.
//
// Stores, instances and calls use wasmtime.h rather than wasm.h: a wasm.h
// store in Wasmtime has no handle through which a call could be interrupted,
// metered with fuel or resumed, and hb_beamr needs all three. Types, values
// and traps stay wasm.h's, shared with the rest of the core.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <wasmtime.h>

#include "engine_adapter.hpp"

namespace hb_beamr::engine {

struct ErrorDeleter {
  void operator()(wasmtime_error_t *e) const { wasmtime_error_delete(e); }
};
/// Owns a wasmtime_error_t.
using ErrorPtr = std::unique_ptr<wasmtime_error_t, ErrorDeleter>;

struct TrapDeleter {
  void operator()(wasm_trap_t *t) const { wasm_trap_delete(t); }
};
/// Owns a wasm_trap_t.
using TrapPtr = std::unique_ptr<wasm_trap_t, TrapDeleter>;

// ---- values.cpp ----

/// The text of `vec` (deleted) without Wasmtime's terminating NUL.
std::string take_message(wasm_byte_vec_t &vec);
/// The message of `error` (borrowed).
std::string message_of(wasmtime_error_t *error);
/// The spec's wording for a trap code; null for codes it has none for.
const char *trap_code_text(wasmtime_trap_code_t code);
/// Whether values of `kind` are rooted GC references, to be unrooted.
bool is_gc_ref(wasmtime_valkind_t kind);
/// A null reference of a wasm.h reference kind / of a reference ValType.
wasmtime_val_t null_ref(wasm_valkind_t kind);
wasmtime_val_t null_ref(ValType type);
/// Converts values across the host boundary; only null references cross.
Status to_wasmtime(const wasm_val_t &in, wasmtime_val_t *out);
Status from_wasmtime(const wasmtime_val_t &in, wasm_val_t *out);

// ---- stack_pool.cpp ----

/// Makes `config`'s engine take the stacks of suspendable calls from a
/// process-wide pool instead of mapping one per call.
void use_stack_pool(wasm_config_t *config);

// ---- module.cpp ----

/// A compiled module with its descriptions. Immutable once made.
class Module {
public:
  Module(EnginePtr engine, wasmtime_module_t *raw)
      : engine_(std::move(engine)), raw_(raw) {}
  ~Module() { wasmtime_module_delete(raw_); }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  EnginePtr engine_;
  wasmtime_module_t *raw_;
  std::vector<ExternDesc> imports_;
  std::vector<ExternDesc> exports_;
  /// Whether an imported or exported table's limits pass 2^32 (see
  /// serialize()).
  bool wide_tables_ = false;
};

// ---- instance.cpp, suspension.cpp ----

/// A store with one instance. Every call is a suspendable one, run on a
/// fiber by Wasmtime's async API; function imports suspend it (see
/// Suspended) except while the start function runs, when the ImportHandler
/// answers them at once.
struct Instance::Impl final : Suspension {
  struct HostEnv {
    Impl *impl;
    size_t index;
  };
  struct Suspended;

  // One call in progress. Wasmtime reads args and writes results, trap and
  // error until the future is deleted, so they live here, at a fixed
  // address.
  struct Frame {
    wasmtime_func_t func{};
    std::vector<wasmtime_val_t> args;
    std::vector<wasmtime_val_t> results;
    wasm_trap_t *trap = nullptr;
    wasmtime_error_t *error = nullptr;
    wasmtime_call_future_t *future = nullptr;
    bool done = false;
    Suspended *host = nullptr; // the import it is suspended in, if any
  };

  // An import call suspended until answer() or reject(): the env of its
  // continuation, which Wasmtime polls each time the call is polled. A call
  // nested in the import runs from here: its future is polled inside the
  // continuation, on the outer call's fiber, where the caller's context is
  // valid.
  struct Suspended {
    Impl *impl = nullptr;
    Frame *frame = nullptr; // the call that made the import
    wasmtime_caller_t *caller = nullptr;
    wasmtime_val_t *results = nullptr;
    size_t nresults = 0;
    wasm_trap_t **trap_ret = nullptr;
    PendingImport request;
    enum class Answer { none, results, error } answer = Answer::none;
    std::vector<wasm_val_t> values;
    std::string message;
    Frame *child = nullptr; // a call nested inside this import
  };

  EnginePtr engine;
  ModulePtr module;
  ImportHandler handler; // the start function's imports only
  wasmtime_store_t *store = nullptr;
  wasmtime_context_t *context = nullptr; // the store's
  wasmtime_instance_t instance{};
  std::vector<std::unique_ptr<HostEnv>> host_envs;
  bool has_memory = false;
  wasmtime_memory_t memory{};
  bool has_table = false;
  wasmtime_table_t table{};
  // Message of the innermost host function failure; Wasmtime wraps it in a
  // backtrace, and callers want the text the host gave.
  std::string host_trap_message;

  const std::atomic<bool> *stop_requested = nullptr;

  // Calls in progress, outermost first; only the outermost future is polled
  // from outside.
  std::vector<std::unique_ptr<Frame>> frames;
  // End of the slice being polled, if any.
  std::optional<SteadyClock::time_point> slice_end;
  // Set while abandon() unwinds everything.
  bool abandoning = false;
  // The record of the last import answered, for the next one (see
  // host_function()).
  std::unique_ptr<Suspended> spare_suspended;
  // The frame of the last call finished, for the next one (see begin()).
  std::unique_ptr<Frame> spare_frame;

  // Exported functions already looked up, with their signatures: a call by
  // name would otherwise ask Wasmtime for the export and rebuild its type
  // every time, which costs more than a small call itself. Exports of an
  // instance never change.
  struct ExportedFunc {
    wasmtime_func_t func;
    FuncSig sig;
  };
  std::unordered_map<std::string, ExportedFunc> exported_funcs;

  ~Impl() override;

  // Suspension (suspension.cpp).
  Status begin(std::string_view name, uint64_t index,
               const wasm_val_t *args) override;
  Result<Progress>
  poll(std::optional<SteadyClock::time_point> slice_end) override;
  Status finish(std::vector<wasm_val_t> &results) override;
  Result<const FuncSig *> export_signature_ref(std::string_view name) override;
  const PendingImport *pending_import() const override;
  Status answer(const wasm_val_t *results) override;
  void reject(std::string message) override;
  void abandon() override { drop_frames(); }
  size_t suspended_calls() const override { return frames.size(); }

  // Runs when the engine's epoch passes this store's deadline: stop if
  // asked to, yield if the slice is over, else carry on.
  static wasmtime_error_t *on_epoch(wasmtime_context_t *, void *data,
                                    uint64_t *delta,
                                    wasmtime_update_deadline_kind_t *kind);
  // The host function behind every function import. It and continue_host
  // run inside Rust frames, so they turn anything thrown into a trap.
  static void
  host_function(void *env, wasmtime_caller_t *caller,
                const wasmtime_val_t *args, size_t nargs,
                wasmtime_val_t *results, size_t nresults,
                wasm_trap_t **trap_ret,
                wasmtime_async_continuation_t *continuation) noexcept;
  // host_function's work: answers at once or suspends the call. May throw.
  static void suspend_host(void *env, wasmtime_caller_t *caller,
                           const wasmtime_val_t *args, size_t nargs,
                           wasmtime_val_t *results, size_t nresults,
                           wasm_trap_t **trap_ret,
                           wasmtime_async_continuation_t *continuation);
  static bool continue_host(void *env) noexcept;
  // continue_host's work: polls a nested call or delivers the answer.
  static bool answer_host(Suspended &host);
  static void drop_host(void *env);
  static bool host_done(void *) { return true; }
  // Deletes a frame's future and whatever trap or error it left.
  static void delete_frame_future(Frame &frame);
  void drop_frames();
  // The innermost call's state, without running anything.
  Progress innermost() const;
  // The context a new call runs in: the store's at top level, the caller's
  // of the awaited import for a nested call (null if no call may start).
  wasmtime_context_t *context_for_new_call(Suspended *&parent);
  // Answers a start function's import at once, through the ImportHandler.
  Status answer_now(size_t index, const wasmtime_val_t *args, size_t nargs,
                    wasmtime_val_t *results, size_t nresults);

  Error trap_error(wasm_trap_t *trap);
  Status finish_call(wasmtime_error_t *err, wasm_trap_t *trap);
  Result<const ExportedFunc *> exported_func(std::string_view name);
  Result<wasmtime_func_t> table_func(uint64_t index);
  Result<wasmtime_extern_t> find_export(std::string_view name);
};

} // namespace hb_beamr::engine
