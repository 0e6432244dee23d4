// Internal to the WAMR engine adapter (core/src/wamr/*.cpp): the types its
// files share. What WAMR does differently from the Wasm C API, or from
// Wasmtime, and how each file handles it:
//
// WAMR 2.4's classic interpreter (built by engine/wamr/ with memory64, legacy
// exception handling, instruction metering and the thread manager; no AOT, no
// JIT) behind the same seam as Wasmtime, through WAMR's own wasm.h
// (wasm_c_api.h) plus wasm_export.h where wasm.h has nothing. Everything WAMR
// does differently from the Wasm C API, or from Wasmtime, is handled here:
//
// - The engine is a reference-counted process singleton; deleting the last
//   reference tears the whole runtime down. Every EnginePtr is one reference,
//   so a runtime destroyed and initialized again while old contexts live
//   simply shares the old singleton, and so does every EngineProfile.
// - A module belongs to the store it was loaded into, and wasm_module_delete
//   does nothing. compile() loads into a scratch store and keeps a shared
//   handle (wasm_module_share); each instance obtains it into its own store.
// - wasm_module_new reports no reason for a failure; the reason comes from
//   loading the bytes again with wasm_runtime_load.
// - Names (of imports, exports, messages) are NUL-terminated and their size
//   counts the NUL.
// - Imports are listed grouped by kind, not in module order, and table and
//   memory limits are approximated; the binary's own import and export
//   sections give the order and the exact limits.
// - Calls go through wasm_export.h (wasm_runtime_call_wasm on the instance's
//   own execution environment), not wasm_func_call; see call_raw(). A trap
//   stays pending on the instance, so after a call made from a host function
//   fails, the adapter clears it (else the caller would trap too).
// - wasm.h cannot grow a memory from the host (wasm_memory_grow always
//   fails); memory_grow() uses wasm_export.h's wasm_runtime_enlarge_memory.
// - A start function runs inside instantiation, out of reach. The module is
//   rewritten at load to export it under a hidden name instead, and the
//   adapter calls it itself (see "Module binaries" below).
// - WAMR's wasm.h knows no tags: a tag export would corrupt its export list,
//   so tag exports are dropped from the binary at load (hb_beamr lists
//   functions, globals, memories and tables only). Tag imports are not
//   linked (WAMR has no multi-module here): each is a tag of the module's own.
// - Legacy exception handling runs natively. An exception no handler catches
//   fails the call like a trap ("uncaught wasm exception"). WAMR recognizes
//   its own exceptions by their text, so a host function's trap reaches WAMR
//   under a fixed text (its message is kept here; see trampoline()).
// - Interruption: only WAMR's thread manager makes the interpreter check
//   for termination, at every branch and call. interrupt() calls
//   wasm_runtime_terminate, which fails the running call with "terminated by
//   user"; the next call clears it, so the instance stays usable (state
//   TRAPPED, like Wasmtime). interrupt_all() reaches the start functions
//   running in create(). A module the adapter cannot rewrite runs its start
//   function inside instantiation, where it cannot be stopped. The thread
//   manager also sets aside part of the shadow stack (the "aux stack" in linear
//   memory) that WAMR finds in a module exporting
//   __heap_base and __data_end (most C modules export neither) for threads
//   hb_beamr never starts: with at most 1 thread, the instance keeps half,
//   and traps with "wasm auxiliary stack overflow" below it.
// - wasm_export.h wants WAMR's runtime instance, which wasm.h keeps in a
//   private field of wasm_instance_t with no accessor. It is read in
//   engine_wamr_private.c, compiled against WAMR's own internal header;
//   engine/CMakeLists.txt fails the configure if that struct's definition in
//   the pinned sources changes.
// - WAMR zeroes an instance's whole interpreter stack when it makes its
//   execution environment, which makes all of it resident. The adapter hands
//   the untouched pages back to the kernel (they read as zeros again), so an
//   idle instance costs what its calls have used; the stack's bounds are the
//   other read of engine_wamr_private.c.
// - Limits: memory through InstantiationArgs.max_memory_pages (applied to
//   wasm's memory.grow and to memory_grow()); a module whose initial memory
//   is larger fails to instantiate. WAMR has no table limit: only tables
//   whose declared maximum is within max_table_elements can be held to it,
//   others are refused as unsupported. The stack limit sizes WAMR's
//   interpreter stack, allocated per instance.
// - Fuel is WAMR's instruction metering: a budget of interpreted
//   instructions, set on the execution environment before each top-level
//   call (wasm_runtime_set_instruction_count_limit). WAMR counts down a copy
//   of it in each entry into the interpreter, so a call made from a host
//   function gets a budget of its own, as large as a top-level call's, and a
//   budget is at most INT_MAX instructions. Running out fails the call with
//   "all fuel consumed"; the next call starts with a full budget.
// - No deterministic mode (no NaN canonicalization): create_engine() refuses
//   it.
// - Host functions can return at most 64 bits of results, and reference-typed
//   global imports cannot be linked: both are refused at instantiation.
// - No precompiled modules: the AOT loader is not built (WAMR 2.4 cannot
//   combine it with exception handling).
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wasm.h>
#include <wasm_export.h>

#include "engine_adapter.hpp"
#include "module_rewrite.hpp"

// The reads of WAMR's private layout, compiled against WAMR's own internal
// headers: see engine_wamr_private.c.
extern "C" {
/// WAMR's runtime instance behind a wasm.h instance (null if none).
wasm_module_inst_t
hb_beamr_wamr_runtime_instance(const wasm_instance_t *instance);
/// The part of `exec_env`'s interpreter stack not in use: [*begin, *end).
void hb_beamr_wamr_free_stack(wasm_exec_env_t exec_env, uint8_t **begin,
                              uint8_t **end);
}

namespace hb_beamr::engine {

constexpr uint32_t kPages32 = 65536;
constexpr uint64_t kPageSize = 65536;
// Size of each instance's interpreter stack (frames, locals and operands).
// The classic interpreter's frames are large (about 190 bytes for a small
// function), so this is twice Wasmtime's default maximum wasm stack, for
// about as deep a recursion.
constexpr uint32_t kWasmStackSize = 1024 * 1024;
// Native stack a call into WAMR must leave free. WAMR's own guard (3 KiB) is
// less than one round trip through a host function and back into wasm takes.
constexpr uintptr_t kNativeStackReserve = 128 * 1024;

// ---------------------------------------------------------------------------
// RAII for the wasm.h objects used here.

struct StoreDeleter {
  void operator()(wasm_store_t *s) const { wasm_store_delete(s); }
};
using StorePtr = std::unique_ptr<wasm_store_t, StoreDeleter>;

struct TrapDeleter {
  void operator()(wasm_trap_t *t) const { wasm_trap_delete(t); }
};
using TrapPtr = std::unique_ptr<wasm_trap_t, TrapDeleter>;

struct FuncDeleter {
  void operator()(wasm_func_t *f) const { wasm_func_delete(f); }
};
using FuncPtr = std::unique_ptr<wasm_func_t, FuncDeleter>;

struct RefDeleter {
  void operator()(wasm_ref_t *r) const { wasm_ref_delete(r); }
};
using RefPtr = std::unique_ptr<wasm_ref_t, RefDeleter>;

/// An owned wasm_X_vec_t, deleted with `del`.
template <typename Vec, void (*del)(Vec *)> struct OwnedVec {
  Vec vec;
  OwnedVec() { std::memset(&vec, 0, sizeof vec); }
  ~OwnedVec() { del(&vec); }
  OwnedVec(const OwnedVec &) = delete;
  OwnedVec &operator=(const OwnedVec &) = delete;
};
using ImportTypes = OwnedVec<wasm_importtype_vec_t, wasm_importtype_vec_delete>;
using ExportTypes = OwnedVec<wasm_exporttype_vec_t, wasm_exporttype_vec_delete>;
using Externs = OwnedVec<wasm_extern_vec_t, wasm_extern_vec_delete>;

// ---- module.cpp ----

/// `name` without the NUL WAMR counts in its size.
std::string_view name_text(const wasm_name_t *name);
/// WAMR's reason for refusing `bytes` (wasm_module_new gives none).
std::string load_error(const uint8_t *bytes, size_t size);

using rewrite::Limits;

/// The export under which the module rewrite hides a start function.
inline const char *const kStartExport = rewrite::kWamrStartExport;

class Module {
public:
  Module(EnginePtr engine, wasm_shared_module_t *shared)
      : engine_(std::move(engine)), shared_(shared) {}
  ~Module() { wasm_shared_module_delete(shared_); }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  EnginePtr engine_;
  wasm_shared_module_t *shared_;
  std::vector<ExternDesc> imports_; // module order
  std::vector<ExternDesc> exports_; // module order, helpers left out
  // WAMR's import i (grouped by kind) is imports_[import_order_[i]].
  std::vector<size_t> import_order_;
  // Position of each export in WAMR's export list, by name, helpers included.
  std::vector<std::string> export_names_;
  bool deferred_start_ = false; // its start function is __hb_beamr_start
  // Limits of every memory / table (imported, then defined), when known.
  std::vector<Limits> memories_;
  std::vector<Limits> tables_;
  bool memories_known_ = false;
  bool tables_known_ = false;

  /// Whether its memory (at most one: no multi-memory) is a memory64 one.
  bool memory_is64() const {
    return memories_known_ && !memories_.empty() && memories_.front().is64;
  }
  /// Whether `name` is one of the helpers, hidden from every listing.
  bool is_helper(std::string_view name) const {
    return deferred_start_ && name == kStartExport;
  }
};

// ---- traps.cpp ----

/// WAMR's trap texts in the spec's wording, as the Wasmtime adapter reports
/// them.
std::string spec_text(std::string text);
/// The text of `trap` (borrowed), without WAMR's NUL.
std::string message_of(const wasm_trap_t *trap);
/// A trap carrying `message`, tied to `store`.
wasm_trap_t *make_trap(wasm_store_t *store, std::string_view message);

// The store of the innermost instantiation or call on this thread: WAMR ties
// traps to a store, and a host function may make one before its context knows
// its store (during the start function).
extern thread_local wasm_store_t *current_store;

struct StoreScope {
  wasm_store_t *saved;
  explicit StoreScope(wasm_store_t *store) : saved(current_store) {
    current_store = store;
  }
  ~StoreScope() { current_store = saved; }
  StoreScope(const StoreScope &) = delete;
  StoreScope &operator=(const StoreScope &) = delete;
};

// ---- stacks.cpp ----

/// Returns the pages of `exec_env`'s interpreter stack that no call uses to
/// the kernel.
void release_free_stack(wasm_exec_env_t exec_env);
/// Whether this thread's native stack is too low for another call into WAMR.
bool native_stack_exhausted();

// ---- engine.cpp ----

/// Lists an instance in the registry interrupt_all() reads while its start
/// function runs.
class StartingScope {
public:
  StartingScope(wasm_module_inst_t inst, const std::atomic<bool> *stop);
  ~StartingScope();
  StartingScope(const StartingScope &) = delete;
  StartingScope &operator=(const StartingScope &) = delete;

private:
  wasm_module_inst_t inst_;
};

// ---- values.cpp ----

/// Checks a value going into / coming out of WAMR: only null references
/// cross the boundary, as on Wasmtime.
Status check_in(const wasm_val_t &v);
Status check_out(wasm_val_t &v);
/// 32-bit slots a value takes in WAMR's call frames.
unsigned cells(ValType t);
/// The signature of `func`.
Result<FuncSig> signature_of(const wasm_func_t *func);
/// Values to and from the cells of wasm_runtime_call_wasm.
size_t cells_of(ValType t);
void pack(const wasm_val_t &v, std::vector<uint32_t> &cells);
Status unpack(ValType t, const std::vector<uint32_t> &cells, size_t &at,
              wasm_val_t &out);

// ---- calls.cpp, instance.cpp ----

struct Instance::Impl final : DirectCalls {
  struct HostEnv {
    Impl *impl;
    size_t index; // in imports(*module)
  };

  // Destroyed bottom-up: our copies of imports and exports go before the
  // store, which takes the instance and its reference to the module along.
  EnginePtr engine;
  ModulePtr module;
  ImportHandler handler;
  StorePtr store;
  wasm_instance_t *instance = nullptr; // released with the store
  // WAMR's runtime instance behind `instance`, and the execution environment
  // WAMR made for it: calls go through wasm_export.h (see call_raw).
  wasm_module_inst_t inst = nullptr;
  wasm_exec_env_t exec_env = nullptr;
  Externs import_objects;
  Externs export_objects; // WAMR's export list, helpers included
  std::vector<std::unique_ptr<HostEnv>> host_envs;
  wasm_memory_t *memory = nullptr;
  wasm_table_t *table = nullptr;
  std::string table_name; // the export name of `table`
  const std::atomic<bool> *stop_requested = nullptr;
  int depth = 0; // calls into wasm in progress
  // Message of the innermost host function failure: WAMR only gets a fixed
  // text (see trampoline), and callers want the text the host gave.
  std::string host_trap_message;

  /// A call into wasm: the function to run and the type to read its values.
  struct Target {
    wasm_function_inst_t function;
    FuncSig sig;
  };

  static wasm_trap_t *trampoline(void *env, const wasm_val_vec_t *args,
                                 wasm_val_vec_t *results);
  Error trap_error(wasm_trap_t *trap);
  Error exception_error();
  bool stopping() const {
    return stop_requested != nullptr && stop_requested->load();
  }
  Result<wasm_extern_t *> find_export(std::string_view name);
  /// find_export() of a function or global export; a lookup error if the
  /// export is of another kind.
  Result<wasm_extern_t *> find_export(std::string_view name,
                                      wasm_externkind_t kind);
  Result<Target> export_target(std::string_view name);
  Result<Target> table_target(uint64_t index);
  Status call_raw(const Target &target, const wasm_val_t *args,
                  wasm_val_t *results);
  Status invoke(const Target &target, const wasm_val_t *args,
                wasm_val_t *results);
  // DirectCalls: calls by export name or table index.
  Status call(std::string_view name, const wasm_val_t *args,
              wasm_val_t *results) override;
  Status call_indirect(uint64_t index, const wasm_val_t *args,
                       wasm_val_t *results) override;
  Result<FuncPtr> table_func(uint64_t index);
};

} // namespace hb_beamr::engine
