// The WAMR engine adapter.
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

#include <algorithm>
#include <atomic>
#include <cassert>
#include <climits>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include <wasm.h>
#include <wasm_export.h>

#include "engine_adapter.hpp"
#include "module_rewrite.hpp"
#include "type_description.hpp"

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

namespace hb_beamr {

// WAMR reports every kind, v128 (WASM_V128) included, and any reference type
// other than funcref as externref.
ValType valtype_of(const wasm_valtype_t *type) {
  switch (wasm_valtype_kind(type)) {
  case WASM_I32: return ValType::i32;
  case WASM_I64: return ValType::i64;
  case WASM_F32: return ValType::f32;
  case WASM_F64: return ValType::f64;
  case WASM_V128: return ValType::v128;
  case WASM_FUNCREF: return ValType::funcref;
  default: return ValType::externref;
  }
}

// WAMR describes a memory without a maximum as having the i32 ceiling (65536
// pages) as its maximum; the two are the same thing. wasm.h cannot tell a
// memory64 memory: describe_exact() takes the binary's limits instead.
MemoryLimits memory_limits(const wasm_memorytype_t *type) {
  const wasm_limits_t *limits = wasm_memorytype_limits(type);
  MemoryLimits out;
  out.min = limits->min;
  out.has_max = limits->max < 65536;
  out.max = out.has_max ? limits->max : 0;
  return out;
}

namespace engine {
namespace {

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

/// `name` without the NUL WAMR counts in its size.
std::string_view name_text(const wasm_name_t *name) {
  if (name == nullptr || name->data == nullptr)
    return {};
  std::string_view text(name->data, name->size);
  while (!text.empty() && text.back() == '\0')
    text.remove_suffix(1);
  return text;
}

/// describe_extern for a name that may carry WAMR's NUL.
ExternDesc describe(const wasm_externtype_t *type, std::string module,
                    const wasm_name_t *name) {
  std::string_view text = name_text(name);
  wasm_name_t trimmed = *name;
  trimmed.size = text.size();
  trimmed.num_elems = text.size();
  return describe_extern(type, std::move(module), &trimmed);
}

// ---------------------------------------------------------------------------
// Traps.

// WAMR's texts ("Exception: integer divide by zero") in the spec's wording,
// as the Wasmtime adapter reports them.
std::string spec_text(std::string text) {
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  for (bool again = true; again;) {
    again = false;
    for (const char *prefix : {"wasm_instance_new_with_args_ex failed: ",
                               "WASM module instantiate failed: ",
                               "WASM module load failed: ", "Exception: "})
      if (text.rfind(prefix, 0) == 0) {
        text.erase(0, std::strlen(prefix));
        again = true;
      }
  }
  static const struct {
    const char *wamr;
    const char *spec;
  } renames[] = {
      {"wasm operand stack overflow", "call stack exhausted"},
      {"native stack overflow", "call stack exhausted"},
      {"undefined element", "undefined element: out of bounds table access"},
      {"out of bounds table access",
       "undefined element: out of bounds table access"},
      {"unaligned atomic", "misaligned memory access"},
      {"terminated by user", "interrupted"},
      {"instruction limit exceeded", "all fuel consumed"},
      {"uncaught wasm exception",
       "uncaught wasm exception: no handler caught it before it reached the "
       "host"},
  };
  for (const auto &r : renames)
    if (text == r.wamr)
      return r.spec;
  return text;
}

std::string message_of(const wasm_trap_t *trap) {
  wasm_message_t vec;
  std::memset(&vec, 0, sizeof vec);
  wasm_trap_message(trap, &vec);
  std::string text(name_text(&vec));
  wasm_byte_vec_delete(&vec);
  return text;
}

wasm_trap_t *make_trap(wasm_store_t *store, std::string_view message) {
  wasm_message_t vec;
  std::memset(&vec, 0, sizeof vec);
  wasm_byte_vec_new(&vec, message.size(), message.data());
  wasm_trap_t *trap = wasm_trap_new(store, &vec);
  wasm_byte_vec_delete(&vec);
  return trap;
}

// The store of the innermost instantiation or call on this thread: WAMR ties
// traps to a store, and a host function may make one before its context knows
// its store (during the start function).
thread_local wasm_store_t *current_store = nullptr;

struct StoreScope {
  wasm_store_t *saved;
  explicit StoreScope(wasm_store_t *store) : saved(current_store) {
    current_store = store;
  }
  ~StoreScope() { current_store = saved; }
  StoreScope(const StoreScope &) = delete;
  StoreScope &operator=(const StoreScope &) = delete;
};

// Lowest usable native stack address of this thread, 0 if unknown.
uintptr_t native_stack_low() {
  thread_local uintptr_t low = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
      return uintptr_t{0};
    void *addr = nullptr;
    size_t size = 0, guard = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
    return reinterpret_cast<uintptr_t>(addr) + guard;
  }();
  return low;
}

/// Returns the pages of `exec_env`'s interpreter stack that no call uses to
/// the kernel. WAMR has just zeroed them; afterwards they read as zeros
/// again, from fresh pages, on first use. Only whole pages inside the stack
/// are released, never the allocator's or WAMR's own data around it.
void release_free_stack(wasm_exec_env_t exec_env) {
  uint8_t *begin = nullptr, *end = nullptr;
  hb_beamr_wamr_free_stack(exec_env, &begin, &end);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0 || begin == nullptr || end <= begin)
    return;
  const uintptr_t page = static_cast<uintptr_t>(page_size);
  const uintptr_t from =
      (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  const uintptr_t to = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
  if (to > from)
    madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
}

bool native_stack_exhausted() {
  char probe;
  uintptr_t low = native_stack_low();
  return low != 0 &&
         reinterpret_cast<uintptr_t>(&probe) < low + kNativeStackReserve;
}

// ---------------------------------------------------------------------------
// Module binaries: what WAMR's wasm.h does not report faithfully is read from
// the binary, and the module is changed before WAMR loads it, by the engine
// crate (engine/src/prepare, wrapped by module_rewrite.hpp):
// - WAMR runs a start function inside instantiation, where nothing can reach
//   it to interrupt it: it is exported as kStartExport instead, and the
//   adapter calls it right after instantiation, as an interruptible call.
// - WAMR's loader fixes a memory at its initial size when no function uses
//   memory.size or memory.grow: a module with a memory gets one more
//   function, never exported nor called, that uses memory.size.
// - Tag exports are dropped (WAMR's wasm.h would corrupt its export list on
//   them).
// A module the scan does not understand, or whose prepared form WAMR
// refuses, is loaded unchanged and keeps its start function (which then
// cannot be interrupted).

using rewrite::Limits;

const char *const kStartExport = rewrite::kWamrStartExport;

wasm_externkind_t extern_kind(rewrite::ExternKind kind) {
  switch (kind) {
  case rewrite::ExternKind::func: return WASM_EXTERN_FUNC;
  case rewrite::ExternKind::table: return WASM_EXTERN_TABLE;
  case rewrite::ExternKind::memory: return WASM_EXTERN_MEMORY;
  case rewrite::ExternKind::global: return WASM_EXTERN_GLOBAL;
  }
  assert(false && "the scan lists no other import kinds");
  return WASM_EXTERN_FUNC;
}

/// A table type with the binary's exact limits (WAMR clamps table maxima),
/// or a copy of `type` if unknown.
wasm_externtype_t *exact_table_type(const wasm_externtype_t *type,
                                    const Limits *limits) {
  if (limits == nullptr || limits->min > UINT32_MAX ||
      (limits->has_max && limits->max >= UINT32_MAX))
    return wasm_externtype_copy(type);
  wasm_limits_t l{static_cast<uint32_t>(limits->min),
                  limits->has_max ? static_cast<uint32_t>(limits->max)
                                  : wasm_limits_max_default};
  const wasm_tabletype_t *t = wasm_externtype_as_tabletype_const(type);
  wasm_tabletype_t *exact =
      wasm_tabletype_new(wasm_valtype_copy(wasm_tabletype_element(t)), &l);
  return exact ? wasm_tabletype_as_externtype(exact)
               : wasm_externtype_copy(type);
}

/// describe() with the binary's exact limits, if known.
ExternDesc describe_exact(const wasm_externtype_t *type, std::string module,
                          const wasm_name_t *name, const Limits *limits) {
  if (limits == nullptr)
    return describe(type, std::move(module), name);
  switch (wasm_externtype_kind(type)) {
  case WASM_EXTERN_MEMORY: {
    // wasm.h's memory limits are 32-bit, with no memory64 flag, and WAMR
    // invents a maximum where there is none: the binary's own, in the
    // notation of describe_extern().
    ExternDesc desc = describe(type, std::move(module), name);
    desc.signature = std::string(limits->is64 ? "i64:" : "i32:") +
                     std::to_string(limits->min) + "..";
    if (limits->has_max)
      desc.signature += std::to_string(limits->max);
    return desc;
  }
  case WASM_EXTERN_TABLE: {
    wasm_externtype_t *exact = exact_table_type(type, limits);
    if (exact == nullptr)
      break;
    ExternDesc desc = describe(exact, std::move(module), name);
    wasm_externtype_delete(exact);
    return desc;
  }
  default: break;
  }
  return describe(type, std::move(module), name);
}

/// WAMR's reason for refusing `bytes` (wasm_module_new gives none).
std::string load_error(const uint8_t *bytes, size_t size) {
  // wasm_runtime_load may write to its buffer: give it a copy.
  std::vector<uint8_t> copy(bytes, bytes + size);
  copy.push_back(0);
  char error[256] = {0};
  wasm_module_t module = wasm_runtime_load(
      copy.data(), static_cast<uint32_t>(size), error, sizeof error);
  if (module != nullptr) {
    wasm_runtime_unload(module);
    return "WAMR refused the module";
  }
  return error[0] != '\0' ? spec_text(error) : "WAMR refused the module";
}

} // namespace

const char *name() { return "wamr"; }

// WAMR wants wasm_runtime_init_thread_env() on every thread it did not start
// itself before that thread runs wasm. (wasm_store_new also sets it up for the
// first store of a thread, and wasm_store_delete tears it down with that
// thread's last store; in this build, without hardware bounds checks, both
// only matter on Windows.)
bool attach_thread() { return wasm_runtime_init_thread_env(); }
void detach_thread() { wasm_runtime_destroy_thread_env(); }

Result<EnginePtr> create_engine(wasm_config_t *config,
                                const EngineProfile &profile) {
  // The interpreter computes floats with the host's own NaNs, and nothing in
  // WAMR canonicalizes them.
  if (profile.deterministic) {
    if (config != nullptr)
      wasm_config_delete(config);
    return make_error(ErrorKind::unsupported,
                      "deterministic mode is not supported on WAMR: its "
                      "interpreter cannot canonicalize NaNs");
  }
  // The rest of the profile needs nothing here. Instruction metering is
  // built into WAMR and costs nothing unless a budget is set: each instance
  // gets its fuel (InstanceSettings::fuel, Instance::set_fuel). WAMR sizes
  // each instance's stack when it is made (InstanceSettings::max_wasm_stack).
  if (config == nullptr)
    config = wasm_config_new();
  if (config == nullptr)
    return make_error(ErrorKind::allocation, "cannot allocate engine config");
  // WAMR keeps no ownership of the config (the standard says it takes it).
  // Its features are fixed when WAMR is built; none are switched at run time.
  // The engine is a process singleton, so every profile gets another
  // reference to it.
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  wasm_config_delete(config);
  if (engine == nullptr)
    return make_error(ErrorKind::engine_init, "cannot create WAMR engine");
  // WAMR's output is dropped where it is built (engine/wamr/silent_print.c);
  // this spares it formatting log lines no one reads. Load and link failures
  // reach callers as errors.
  wasm_runtime_set_log_level(WASM_LOG_LEVEL_FATAL);
  // The thread manager (built in for interruption) splits a module's aux
  // stack between the instance and the threads it may spawn; hb_beamr spawns
  // none, and 1 is the fewest WAMR allows.
  wasm_runtime_set_max_thread_num(1);
  return EnginePtr(engine, wasm_engine_delete);
}

namespace {

// Instances whose start function is running, for interrupt_all(): the core
// has no Instance to interrupt until create() returns.
struct Starting {
  wasm_module_inst_t inst;
  const std::atomic<bool> *stop_requested;
};
std::mutex starting_mutex;
std::vector<Starting> starting;

} // namespace

void interrupt_all(const EnginePtr &) {
  std::lock_guard<std::mutex> lock(starting_mutex);
  for (const Starting &s : starting)
    if (s.stop_requested != nullptr && s.stop_requested->load())
      wasm_runtime_terminate(s.inst);
}

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

namespace {

/// Fills the descriptions of `module` (loaded from a binary `scan` describes).
void describe_module(Module &module, const wasm_module_t *raw,
                     const rewrite::ModuleScan &scan) {
  ImportTypes imports;
  wasm_module_imports(raw, &imports.vec);
  size_t n = imports.vec.size;
  // WAMR lists function, global, memory, then table imports; the binary
  // gives the module order of kinds.
  std::vector<size_t> order(n);
  bool ordered = scan.understood && scan.import_kinds.size() == n;
  if (ordered) {
    std::vector<size_t> position(n);
    size_t next = 0;
    for (wasm_externkind_t kind : {WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL,
                                   WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE}) {
      // The k-th import of this kind in module order is WAMR's next one.
      for (size_t i = 0; i < n; ++i)
        if (extern_kind(scan.import_kinds[i]) == kind)
          position[next++] = i;
    }
    for (size_t i = 0; i < n && ordered; ++i) {
      const wasm_importtype_t *t = imports.vec.data[i];
      ordered = t != nullptr && wasm_externtype_kind(wasm_importtype_type(t)) ==
                                    extern_kind(scan.import_kinds[position[i]]);
    }
    if (ordered)
      order = position;
  }
  if (!ordered)
    for (size_t i = 0; i < n; ++i)
      order[i] = i;

  module.imports_.resize(n);
  module.import_order_ = order;
  size_t table = 0, memory = 0;
  std::vector<const Limits *> limits(n, nullptr);
  if (ordered && scan.limits_known)
    for (size_t i = 0; i < n; ++i) {
      if (scan.import_kinds[i] == rewrite::ExternKind::table)
        limits[i] = &scan.tables[table++];
      else if (scan.import_kinds[i] == rewrite::ExternKind::memory)
        limits[i] = &scan.memories[memory++];
    }
  for (size_t i = 0; i < n; ++i) {
    const wasm_importtype_t *t = imports.vec.data[i];
    if (t == nullptr)
      continue;
    module.imports_[order[i]] =
        describe_exact(wasm_importtype_type(t),
                       std::string(name_text(wasm_importtype_module(t))),
                       wasm_importtype_name(t), limits[order[i]]);
  }

  ExportTypes exports;
  wasm_module_exports(raw, &exports.vec);
  // The binary's exports come first in WAMR's list, in the same order; the
  // helpers follow them.
  bool indexed = scan.understood && scan.limits_known;
  for (size_t i = 0; i < exports.vec.size; ++i) {
    const wasm_exporttype_t *t = exports.vec.data[i];
    std::string name(t != nullptr ? name_text(wasm_exporttype_name(t))
                                  : std::string_view());
    module.export_names_.push_back(name);
    if (t == nullptr || module.is_helper(name))
      continue;
    const Limits *l = nullptr;
    if (indexed && i < scan.exports.size() && scan.exports[i].name == name) {
      uint32_t index = scan.exports[i].index;
      rewrite::ExternKind kind = scan.exports[i].kind;
      if (kind == rewrite::ExternKind::table && index < scan.tables.size())
        l = &scan.tables[index];
      if (kind == rewrite::ExternKind::memory && index < scan.memories.size())
        l = &scan.memories[index];
    }
    module.exports_.push_back(describe_exact(wasm_exporttype_type(t), "",
                                             wasm_exporttype_name(t), l));
  }
}

wasm_module_t *load_into(wasm_store_t *store, const uint8_t *bytes,
                         size_t size) {
  wasm_byte_vec_t vec;
  std::memset(&vec, 0, sizeof vec);
  wasm_byte_vec_new(&vec, size, reinterpret_cast<const wasm_byte_t *>(bytes));
  if (size > 0 && vec.data == nullptr)
    return nullptr;
  wasm_module_t *module = wasm_module_new(store, &vec); // copies the bytes
  wasm_byte_vec_delete(&vec);
  return module;
}

} // namespace

Result<ModulePtr> compile(const EnginePtr &engine, const uint8_t *bytes,
                          size_t size) {
  if (size == 0 || size > UINT32_MAX)
    return make_error(ErrorKind::load,
                      "cannot compile module: " +
                          (size == 0
                               ? std::string("empty module")
                               : std::string("module is larger than 4 GiB")));
  StorePtr store(wasm_store_new(engine.get()));
  if (!store)
    return make_error(ErrorKind::allocation, "cannot create store");
  const rewrite::WamrModule prepared = rewrite::prepare_for_wamr(bytes, size);
  const rewrite::ModuleScan &scan = prepared.scan();
  wasm_module_t *raw = nullptr;
  bool helpers = false;
  if (prepared.prepared() != nullptr) {
    raw = load_into(store.get(), prepared.prepared(), prepared.prepared_size());
    helpers = raw != nullptr;
  }
  if (raw == nullptr)
    raw = load_into(store.get(), bytes, size);
  if (raw == nullptr)
    return make_error(ErrorKind::load,
                      "cannot compile module: " + load_error(bytes, size));
  // The scratch store releases its reference when it goes; this one is ours.
  wasm_shared_module_t *shared = wasm_module_share(raw);
  if (shared == nullptr)
    return make_error(ErrorKind::allocation, "cannot share module");
  auto module = std::make_shared<Module>(engine, shared);
  module->deferred_start_ = helpers && prepared.deferred_start();
  module->memories_known_ = scan.understood;
  module->tables_known_ = scan.understood && scan.limits_known;
  if (scan.understood) {
    module->memories_ = scan.memories;
    module->tables_ = scan.tables;
  }
  describe_module(*module, raw, scan);
  return ModulePtr(std::move(module));
}

// WAMR 2.4 cannot build its AOT loader together with exception handling.
Result<ModulePtr> deserialize(const EnginePtr &, const uint8_t *, size_t) {
  return make_error(ErrorKind::unsupported,
                    "precompiled modules are not supported on WAMR: this build "
                    "has no AOT loader (WAMR cannot combine it with exception "
                    "handling)");
}

Result<std::vector<uint8_t>> serialize(const Module &) {
  return make_error(ErrorKind::unsupported,
                    "cannot serialize module: precompiled modules are not "
                    "supported on WAMR (no AOT loader in this build)");
}

const std::vector<ExternDesc> &imports(const Module &module) {
  return module.imports_;
}
const std::vector<ExternDesc> &exports(const Module &module) {
  return module.exports_;
}

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

namespace {

// Only null references cross the boundary, as on Wasmtime. WAMR's C API
// carries an externref as a host pointer and cannot pass a funcref at all.
Status check_in(const wasm_val_t &v) {
  switch (v.kind) {
  case WASM_I32:
  case WASM_I64:
  case WASM_F32:
  case WASM_F64: return {};
  case WASM_EXTERNREF:
    if (v.of.ref != nullptr)
      return make_error(ErrorKind::unsupported,
                        "non-null reference values cannot be passed in");
    return {};
  case WASM_FUNCREF:
    return make_error(ErrorKind::unsupported,
                      "funcref values cannot be passed to WAMR");
  default:
    return make_error(ErrorKind::unsupported,
                      "v128 values cannot cross the host boundary");
  }
}

Status check_out(wasm_val_t &v) {
  switch (v.kind) {
  case WASM_I32:
  case WASM_I64:
  case WASM_F32:
  case WASM_F64: return {};
  case WASM_EXTERNREF:
  case WASM_FUNCREF: {
    // A null funcref comes back as WAMR's internal null index.
    uintptr_t bits = reinterpret_cast<uintptr_t>(v.of.ref);
    bool null = bits == 0 ||
                (v.kind == WASM_FUNCREF && (bits & 0xffffffffu) == 0xffffffffu);
    if (!null)
      return make_error(ErrorKind::unsupported,
                        "non-null reference values cannot be returned");
    v.of.ref = nullptr;
    return {};
  }
  default:
    return make_error(ErrorKind::unsupported,
                      "v128 values cannot cross the host boundary");
  }
}

// 32-bit slots a value takes in WAMR's call frames.
unsigned cells(ValType t) {
  switch (t) {
  case ValType::i64:
  case ValType::f64: return 2;
  case ValType::v128: return 4;
  default: return 1;
  }
}

} // namespace

wasm_trap_t *Instance::Impl::trampoline(void *env, const wasm_val_vec_t *args,
                                        wasm_val_vec_t *results) {
  auto *host = static_cast<HostEnv *>(env);
  Impl &self = *host->impl;
  const FuncSig &sig = imports(*self.module)[host->index].func;
  std::vector<wasm_val_t> in(sig.params.size()), out(sig.results.size());
  Status status;
  for (size_t i = 0; status && i < in.size(); ++i) {
    in[i] = args->data[i];
    status = check_out(in[i]);
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = zero_value(sig.results[i]);

  // Unwinding through WAMR's frames is undefined: stop exceptions here.
  if (status) {
    try {
      status = self.handler(host->index, in.data(), out.data());
    } catch (const std::exception &e) {
      status = make_error(ErrorKind::trap,
                          std::string("host function threw: ") + e.what());
    } catch (...) {
      status = make_error(ErrorKind::trap, "host function threw");
    }
  }
  for (size_t i = 0; status && i < out.size(); ++i)
    status = check_in(out[i]);
  if (status) {
    for (size_t i = 0; i < out.size(); ++i)
      results->data[i] = out[i];
    results->num_elems = out.size();
    return nullptr;
  }
  // The caller gets this message (trap_error, exception_error). WAMR gets a
  // fixed text: it reads some texts as its own signals (a trap saying
  // "uncaught wasm exception" would be unwound as a wasm exception).
  self.host_trap_message = status.error().message;
  return make_trap(self.store.get(), "host function trapped");
}

Error Instance::Impl::trap_error(wasm_trap_t *raw) {
  TrapPtr trap(raw);
  if (!host_trap_message.empty()) {
    std::string text = std::move(host_trap_message);
    host_trap_message.clear();
    return make_error(ErrorKind::trap, text);
  }
  return make_error(ErrorKind::trap, spec_text(message_of(raw)));
}

Error Instance::Impl::exception_error() {
  if (!host_trap_message.empty()) {
    std::string text = std::move(host_trap_message);
    host_trap_message.clear();
    return make_error(ErrorKind::trap, text);
  }
  const char *text = wasm_runtime_get_exception(inst);
  return make_error(ErrorKind::trap, text != nullptr && *text != '\0'
                                         ? spec_text(text)
                                         : "WAMR could not run the call");
}

Result<wasm_extern_t *> Instance::Impl::find_export(std::string_view name) {
  const std::vector<std::string> &names = module->export_names_;
  bool hidden = module->is_helper(name);
  for (size_t i = 0; !hidden && i < names.size(); ++i)
    if (names[i] == name && i < export_objects.vec.size &&
        export_objects.vec.data[i] != nullptr)
      return export_objects.vec.data[i];
  return make_error(ErrorKind::lookup,
                    "no export named \"" + std::string(name) + "\"");
}

namespace {

Result<FuncSig> signature_of(const wasm_func_t *func) {
  wasm_functype_t *type = wasm_func_type(func);
  if (type == nullptr)
    return make_error(ErrorKind::allocation, "cannot read function type");
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  return sig;
}

// WAMR passes values to and from wasm_runtime_call_wasm as 32-bit cells:
// numbers take one or two, an externref is a host pointer (two on 64-bit
// hosts, WAMR maps it to and from its own index), a funcref its function
// index. Only null references get here (check_in).
constexpr size_t kPointerCells = sizeof(uintptr_t) / sizeof(uint32_t);

size_t cells_of(ValType t) {
  switch (t) {
  case ValType::i64:
  case ValType::f64: return 2;
  case ValType::externref: return kPointerCells;
  default: return 1;
  }
}

void put_cells(std::vector<uint32_t> &cells, const void *bytes, size_t n) {
  uint32_t parts[2] = {0, 0};
  std::memcpy(parts, bytes, n * sizeof(uint32_t));
  cells.insert(cells.end(), parts, parts + n);
}

void pack(const wasm_val_t &v, std::vector<uint32_t> &cells) {
  switch (v.kind) {
  case WASM_I32: put_cells(cells, &v.of.i32, 1); break;
  case WASM_F32: put_cells(cells, &v.of.f32, 1); break;
  case WASM_I64: put_cells(cells, &v.of.i64, 2); break;
  case WASM_F64: put_cells(cells, &v.of.f64, 2); break;
  default: {
    // WAMR's null externref as a host value is all ones, not NULL.
    const uintptr_t null = ~uintptr_t{0};
    put_cells(cells, &null, kPointerCells);
  }
  }
}

/// Reads the value of type `t` at cells[at], advancing `at`.
Status unpack(ValType t, const std::vector<uint32_t> &cells, size_t &at,
              wasm_val_t &out) {
  const uint32_t *p = cells.data() + at;
  at += cells_of(t);
  out = zero_value(t);
  switch (t) {
  case ValType::i32: std::memcpy(&out.of.i32, p, 4); return {};
  case ValType::f32: std::memcpy(&out.of.f32, p, 4); return {};
  case ValType::i64: std::memcpy(&out.of.i64, p, 8); return {};
  case ValType::f64: std::memcpy(&out.of.f64, p, 8); return {};
  case ValType::funcref:
    if (p[0] == 0xffffffffu) // WAMR's null function index
      return {};
    break;
  case ValType::externref: {
    uintptr_t ref = 0;
    std::memcpy(&ref, p, sizeof ref);
    if (ref == 0)
      return {};
    break;
  }
  default:
    return make_error(ErrorKind::unsupported,
                      "v128 values cannot cross the host boundary");
  }
  return make_error(ErrorKind::unsupported,
                    "non-null reference values cannot be returned");
}

} // namespace

Result<Instance::Impl::Target>
Instance::Impl::export_target(std::string_view name) {
  Result<wasm_extern_t *> item = find_export(name);
  if (!item)
    return item.error();
  if (wasm_extern_kind(item.value()) != WASM_EXTERN_FUNC)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a function");
  // WAMR's names are C strings.
  wasm_function_inst_t function =
      name.find('\0') == std::string_view::npos
          ? wasm_runtime_lookup_function(inst, std::string(name).c_str())
          : nullptr;
  if (function == nullptr)
    return make_error(ErrorKind::lookup,
                      "WAMR cannot find export \"" + std::string(name) + "\"");
  Result<FuncSig> sig = signature_of(wasm_extern_as_func(item.value()));
  if (!sig)
    return sig.error();
  return Target{function, std::move(sig.value())};
}

Result<Instance::Impl::Target> Instance::Impl::table_target(uint64_t index) {
  Result<FuncPtr> func = table_func(index);
  if (!func)
    return func.error();
  wasm_table_inst_t table_inst;
  std::memset(&table_inst, 0, sizeof table_inst);
  wasm_function_inst_t function = nullptr;
  if (wasm_runtime_get_export_table_inst(inst, table_name.c_str(),
                                         &table_inst) &&
      index < table_inst.cur_size)
    function = wasm_table_get_func_inst(inst, &table_inst,
                                        static_cast<uint32_t>(index));
  if (function == nullptr)
    return make_error(ErrorKind::lookup,
                      "WAMR cannot find table entry " + std::to_string(index));
  Result<FuncSig> sig = signature_of(func.value().get());
  if (!sig)
    return sig.error();
  return Target{function, std::move(sig.value())};
}

// Calls go through wasm_export.h rather than wasm_func_call, which clears the
// instance's exception, and with it a termination, after its caller could
// last look at the stop flag: a stop requested in between would be lost. Here
// the exception is cleared first and the flag checked after, so a stop is
// either seen before the call or reaches it while it runs.
Status Instance::Impl::call_raw(const Target &target, const wasm_val_t *args,
                                wasm_val_t *results) {
  if (native_stack_exhausted())
    return make_error(ErrorKind::trap, "call stack exhausted");
  const FuncSig &sig = target.sig;
  std::vector<uint32_t> cells;
  for (size_t i = 0; i < sig.params.size(); ++i)
    pack(args[i], cells);
  const uint32_t argc = static_cast<uint32_t>(cells.size());
  size_t result_cells = 0;
  for (ValType t : sig.results)
    result_cells += cells_of(t);
  cells.resize(std::max<size_t>({cells.size(), result_cells, 1}));

  StoreScope scope(store.get());
  host_trap_message.clear();
  // Whatever is pending (a trap, or a stop that came after the last call
  // ended) goes; WAMR's termination flag goes with it.
  wasm_runtime_clear_exception(inst);
  Status status;
  if (stopping()) {
    status = make_error(ErrorKind::trap, "interrupted");
  } else {
    ++depth;
    bool ok =
        wasm_runtime_call_wasm(exec_env, target.function, argc, cells.data());
    --depth;
    status = ok ? Status{} : Status{exception_error()};
  }
  for (size_t i = 0, at = 0; status && i < sig.results.size(); ++i)
    status = unpack(sig.results[i], cells, at, results[i]);
  if (depth > 0) {
    // A host function made this call inside an outer one. A stop must reach
    // the outer call too; anything else left pending would fail it whatever
    // the host function returns.
    if (stopping())
      wasm_runtime_terminate(inst);
    else if (!status)
      wasm_runtime_clear_exception(inst);
  }
  return status;
}

Status Instance::Impl::invoke(const Target &target, const wasm_val_t *args,
                              wasm_val_t *results) {
  const FuncSig &sig = target.sig;
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (Status s = check_in(args[i]); !s)
      return s;
  std::vector<wasm_val_t> out(sig.results.size());
  Status status = call_raw(target, args, out.data());
  for (size_t i = 0; status && i < out.size(); ++i)
    results[i] = out[i];
  return status;
}

Result<FuncPtr> Instance::Impl::table_func(uint64_t index) {
  if (table == nullptr)
    return make_error(ErrorKind::lookup, "module exports no function table");
  wasm_table_size_t size = wasm_table_size(table);
  if (index >= size)
    return make_error(ErrorKind::invalid_argument,
                      "table index " + std::to_string(index) +
                          " is out of range (table size " +
                          std::to_string(size) + ")");
  RefPtr ref(wasm_table_get(table, static_cast<wasm_table_size_t>(index)));
  FuncPtr func(ref ? wasm_ref_as_func(ref.get()) : nullptr);
  if (!func)
    return make_error(ErrorKind::invalid_argument,
                      "table entry " + std::to_string(index) + " is null");
  return func;
}

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

namespace {

/// WAMR's instruction budget for `fuel`: its counter is an int.
int instruction_budget(uint64_t fuel) {
  return static_cast<int>(std::min<uint64_t>(fuel, INT_MAX));
}

/// max_memory_pages for WAMR's InstantiationArgs (0: the module's own
/// maximum) that holds every memory of `module` to `max_bytes` (0: no limit).
Result<uint32_t> memory_pages_limit(const Module &module, uint64_t max_bytes) {
  if (max_bytes == 0)
    return uint32_t{0};
  if (!module.memories_known_)
    return make_error(ErrorKind::unsupported,
                      "cannot apply max_memory_bytes: the module's memories "
                      "could not be read");
  const uint64_t pages = max_bytes / kPageSize;
  for (const Limits &m : module.memories_) {
    if (m.min > pages)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: its memory of " +
                            std::to_string(m.min) +
                            " pages is larger than max_memory_bytes (" +
                            std::to_string(max_bytes) + ")");
    // WAMR reads a limit of 0 pages as no limit.
    if (pages == 0 && (!m.has_max || m.max > 0))
      return make_error(ErrorKind::unsupported,
                        "WAMR cannot hold a memory to less than one page "
                        "(max_memory_bytes " +
                            std::to_string(max_bytes) + ")");
  }
  return static_cast<uint32_t>(pages < kPages32 ? pages : 0);
}

/// Whether every table of `module` stays within `max_elements` (0: no
/// limit). WAMR has no table limit of its own, so only tables whose declared
/// maximum is within it can be held to it.
Status check_table_limit(const Module &module, uint64_t max_elements) {
  if (max_elements == 0)
    return {};
  if (!module.tables_known_)
    return make_error(ErrorKind::unsupported,
                      "cannot apply max_table_elements: the module's tables "
                      "could not be read");
  for (const Limits &t : module.tables_)
    if (t.min > max_elements)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: its table of " +
                            std::to_string(t.min) +
                            " elements is larger than max_table_elements (" +
                            std::to_string(max_elements) + ")");
  for (const Limits &t : module.tables_)
    if (!t.has_max || t.max > max_elements)
      return make_error(ErrorKind::unsupported,
                        "max_table_elements is not supported on WAMR for "
                        "tables that may grow past it: WAMR has no table "
                        "limit of its own");
  return {};
}

/// Lists an instance in `starting` while its start function runs.
class StartingScope {
public:
  StartingScope(wasm_module_inst_t inst, const std::atomic<bool> *stop)
      : inst_(inst) {
    std::lock_guard<std::mutex> lock(starting_mutex);
    starting.push_back(Starting{inst, stop});
  }
  ~StartingScope() {
    std::lock_guard<std::mutex> lock(starting_mutex);
    for (auto it = starting.begin(); it != starting.end(); ++it)
      if (it->inst == inst_) {
        starting.erase(it);
        break;
      }
  }
  StartingScope(const StartingScope &) = delete;
  StartingScope &operator=(const StartingScope &) = delete;

private:
  wasm_module_inst_t inst_;
};

} // namespace

Result<std::unique_ptr<Instance>>
Instance::create(const EnginePtr &engine, const ModulePtr &module,
                 ImportHandler handler, const InstanceSettings &settings) {
  Result<uint32_t> max_pages =
      memory_pages_limit(*module, settings.max_memory_bytes);
  if (!max_pages)
    return max_pages.error();
  if (Status s = check_table_limit(*module, settings.max_table_elements); !s)
    return s.error();
  auto impl = std::make_unique<Impl>();
  impl->engine = engine;
  impl->module = module;
  impl->handler = std::move(handler);
  impl->stop_requested = settings.stop_requested;
  impl->store.reset(wasm_store_new(engine.get()));
  if (!impl->store)
    return make_error(ErrorKind::allocation, "cannot create store");
  wasm_store_t *store = impl->store.get();
  wasm_module_t *raw = wasm_module_obtain(store, module->shared_);
  if (raw == nullptr)
    return make_error(ErrorKind::allocation, "cannot obtain module");

  // Imports, in WAMR's order (grouped by kind).
  ImportTypes types;
  wasm_module_imports(raw, &types.vec);
  std::vector<wasm_extern_t *> externs(types.vec.size, nullptr);
  Status status;
  for (size_t i = 0; status && i < types.vec.size; ++i) {
    size_t index = module->import_order_[i];
    const ExternDesc &desc = module->imports_[index];
    const wasm_externtype_t *type = wasm_importtype_type(types.vec.data[i]);
    std::string what = "import " + desc.module + "." + desc.name;
    switch (wasm_externtype_kind(type)) {
    case WASM_EXTERN_FUNC: {
      unsigned result_cells = 0;
      for (ValType t : desc.func.results)
        result_cells += cells(t);
      if (result_cells > 2) {
        status = make_error(ErrorKind::unsupported,
                            "cannot provide " + what + " " + desc.signature +
                                ": WAMR host functions return at most 64 "
                                "bits of results");
        break;
      }
      impl->host_envs.push_back(
          std::make_unique<Impl::HostEnv>(Impl::HostEnv{impl.get(), index}));
      wasm_func_t *f = wasm_func_new_with_env(
          store, wasm_externtype_as_functype_const(type), &Impl::trampoline,
          impl->host_envs.back().get(), nullptr);
      externs[i] = f ? wasm_func_as_extern(f) : nullptr;
      break;
    }
    case WASM_EXTERN_GLOBAL: {
      const wasm_globaltype_t *gt = wasm_externtype_as_globaltype_const(type);
      wasm_valkind_t kind = wasm_valtype_kind(wasm_globaltype_content(gt));
      if (!wasm_valkind_is_num(kind) || kind == WASM_V128) {
        status = make_error(ErrorKind::unsupported,
                            "cannot provide " + what + " " + desc.signature +
                                ": WAMR links only numeric global imports");
        break;
      }
      wasm_val_t zero;
      std::memset(&zero, 0, sizeof zero);
      zero.kind = kind;
      wasm_global_t *g = wasm_global_new(store, gt, &zero);
      externs[i] = g ? wasm_global_as_extern(g) : nullptr;
      break;
    }
    // WAMR makes memories and tables for these imports itself, fresh and of
    // the imported type; the objects only fill their places.
    case WASM_EXTERN_MEMORY: {
      wasm_memory_t *m =
          wasm_memory_new(store, wasm_externtype_as_memorytype_const(type));
      externs[i] = m ? wasm_memory_as_extern(m) : nullptr;
      break;
    }
    case WASM_EXTERN_TABLE: {
      wasm_table_t *t = wasm_table_new(
          store, wasm_externtype_as_tabletype_const(type), nullptr);
      externs[i] = t ? wasm_table_as_extern(t) : nullptr;
      break;
    }
    default: status = make_error(ErrorKind::link, "unsupported import kind");
    }
    if (status && externs[i] == nullptr)
      status = make_error(ErrorKind::allocation, "cannot provide " + what);
  }
  // The vector owns what was made, even after a failure.
  wasm_extern_vec_new(&impl->import_objects.vec, externs.size(),
                      externs.data());
  if (!status)
    return status.error();

  // WAMR records the links in the module, shared by every instance of it:
  // the same trampoline and the same zero globals each time, so concurrent
  // instantiations write identical values. (No lock: a start function may
  // wait on another instantiation of the same module.)
  //
  // The stack is WAMR's interpreter stack (frames, locals and operands),
  // allocated per instance.
  InstantiationArgs args;
  std::memset(&args, 0, sizeof args);
  args.default_stack_size = settings.max_wasm_stack > 0
                                ? static_cast<uint32_t>(std::min<uint64_t>(
                                      settings.max_wasm_stack, UINT32_MAX))
                                : kWasmStackSize;
  args.max_memory_pages = max_pages.value();
  wasm_trap_t *trap = nullptr;
  {
    StoreScope scope(store);
    impl->instance = wasm_instance_new_with_args_ex(
        store, raw, &impl->import_objects.vec, &trap, &args);
  }
  if (impl->instance == nullptr) {
    std::string text = trap != nullptr ? impl->trap_error(trap).message
                                       : "WAMR refused the instance";
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: " + text);
  }
  if (trap != nullptr)
    wasm_trap_delete(trap);
  impl->inst = hb_beamr_wamr_runtime_instance(impl->instance);
  impl->exec_env = impl->inst != nullptr
                       ? wasm_runtime_get_exec_env_singleton(impl->inst)
                       : nullptr;
  if (impl->exec_env == nullptr)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: WAMR made no execution "
                      "environment for it");
  release_free_stack(impl->exec_env);

  // The default memory is "memory" if exported, else the first memory; the
  // function table is __indirect_function_table, else the first funcref table.
  wasm_instance_exports(impl->instance, &impl->export_objects.vec);
  const std::vector<std::string> &names = module->export_names_;
  for (size_t i = 0; i < impl->export_objects.vec.size && i < names.size();
       ++i) {
    wasm_extern_t *item = impl->export_objects.vec.data[i];
    if (item == nullptr)
      continue;
    const std::string &name = names[i];
    switch (wasm_extern_kind(item)) {
    case WASM_EXTERN_MEMORY:
      if (impl->memory == nullptr || name == "memory")
        impl->memory = wasm_extern_as_memory(item);
      break;
    case WASM_EXTERN_TABLE:
      if (impl->table == nullptr || name == "__indirect_function_table") {
        wasm_tabletype_t *tt = wasm_table_type(wasm_extern_as_table(item));
        bool funcs =
            tt != nullptr &&
            wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF;
        wasm_tabletype_delete(tt);
        if (funcs) {
          impl->table = wasm_extern_as_table(item);
          impl->table_name = name;
        }
      }
      break;
    default: break;
    }
  }

  if (settings.fuel > 0)
    wasm_runtime_set_instruction_count_limit(impl->exec_env,
                                             instruction_budget(settings.fuel));

  // The start function, held back from instantiation so that it runs as a
  // call interrupt_all() can stop.
  if (module->deferred_start_) {
    Impl::Target start{wasm_runtime_lookup_function(impl->inst, kStartExport),
                       FuncSig{}};
    if (start.function == nullptr)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: WAMR cannot find its "
                        "start function");
    StartingScope listed(impl->inst, impl->stop_requested);
    if (Status s = impl->call_raw(start, nullptr, nullptr); !s)
      return make_error(ErrorKind::instantiate,
                        "cannot instantiate module: " + s.error().message);
  }
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

Result<FuncSig> Instance::export_signature(std::string_view name) {
  Result<wasm_extern_t *> item = impl_->find_export(name);
  if (!item)
    return item.error();
  if (wasm_extern_kind(item.value()) != WASM_EXTERN_FUNC)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a function");
  wasm_functype_t *type = wasm_func_type(wasm_extern_as_func(item.value()));
  if (type == nullptr)
    return make_error(ErrorKind::allocation, "cannot read function type");
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  return sig;
}

Status Instance::Impl::call(std::string_view name, const wasm_val_t *args,
                            wasm_val_t *results) {
  Result<Target> target = export_target(name);
  if (!target)
    return target.error();
  return invoke(target.value(), args, results);
}

Result<FuncSig> Instance::table_signature(uint64_t index) {
  Result<FuncPtr> func = impl_->table_func(index);
  if (!func)
    return func.error();
  wasm_functype_t *type = wasm_func_type(func.value().get());
  if (type == nullptr)
    return make_error(ErrorKind::allocation, "cannot read function type");
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  return sig;
}

Status Instance::Impl::call_indirect(uint64_t index, const wasm_val_t *args,
                                     wasm_val_t *results) {
  Result<Target> target = table_target(index);
  if (!target)
    return target.error();
  return invoke(target.value(), args, results);
}

// WAMR's interpreter runs a call to its end on the calling thread's stack;
// it has no way to put a call aside and resume it later.
Suspension *Instance::suspension() { return nullptr; }
DirectCalls *Instance::direct_calls() { return impl_.get(); }

Result<MemoryView> Instance::memory() {
  if (impl_->memory == nullptr)
    return make_error(ErrorKind::lookup, "module exports no memory");
  return MemoryView{
      reinterpret_cast<uint8_t *>(wasm_memory_data(impl_->memory)),
      wasm_memory_data_size(impl_->memory), impl_->module->memory_is64()};
}

Result<uint64_t> Instance::memory_grow(uint64_t delta_pages) {
  if (impl_->memory == nullptr)
    return make_error(ErrorKind::lookup, "module exports no memory");
  std::string what =
      "cannot grow memory by " + std::to_string(delta_pages) + " pages: ";
  if (!impl_->module->memory_is64() && delta_pages > kPages32)
    return make_error(ErrorKind::out_of_bounds,
                      what + "more than a 32-bit memory can hold");
  // Without multi-memory, the exported memory is WAMR's default one. WAMR
  // grows it as wasm's memory.grow does, within the same maximum.
  wasm_memory_inst_t memory = wasm_runtime_get_default_memory(impl_->inst);
  if (memory == nullptr)
    return make_error(ErrorKind::lookup, what + "WAMR finds no memory");
  const uint64_t old_pages = wasm_memory_get_cur_page_count(memory);
  if (!wasm_runtime_enlarge_memory(impl_->inst, delta_pages))
    return make_error(ErrorKind::out_of_bounds,
                      what + "the memory would exceed its maximum");
  return old_pages;
}

Result<wasm_val_t> Instance::global_get(std::string_view name) {
  Result<wasm_extern_t *> item = impl_->find_export(name);
  if (!item)
    return item.error();
  if (wasm_extern_kind(item.value()) != WASM_EXTERN_GLOBAL)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a global");
  wasm_val_t out;
  std::memset(&out, 0, sizeof out);
  wasm_global_get(wasm_extern_as_global(item.value()), &out);
  if (Status s = check_out(out); !s)
    return s.error();
  return out;
}

Status Instance::global_set(std::string_view name, const wasm_val_t &value) {
  Result<wasm_extern_t *> item = impl_->find_export(name);
  if (!item)
    return item.error();
  if (wasm_extern_kind(item.value()) != WASM_EXTERN_GLOBAL)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a global");
  wasm_global_t *global = wasm_extern_as_global(item.value());
  wasm_globaltype_t *type = wasm_global_type(global);
  if (type == nullptr)
    return make_error(ErrorKind::allocation, "cannot read global type");
  bool mutable_global = wasm_globaltype_mutability(type) == WASM_VAR;
  wasm_valkind_t kind = wasm_valtype_kind(wasm_globaltype_content(type));
  wasm_globaltype_delete(type);
  if (!mutable_global)
    return make_error(ErrorKind::invalid_argument,
                      "global \"" + std::string(name) + "\" is immutable");
  if (kind != value.kind)
    return make_error(ErrorKind::invalid_argument,
                      "value has the wrong type for global \"" +
                          std::string(name) + "\"");
  if (Status s = check_in(value); !s)
    return s;
  wasm_global_set(global, &value);
  return {};
}

void *Instance::store_handle() { return impl_->store.get(); }

void Instance::interrupt() {
  // Sets the instance's exception and WAMR's termination flag, which the
  // interpreter checks at every branch and call; call_raw() clears both
  // before a call and then looks at the stop flag itself.
  wasm_runtime_terminate(impl_->inst);
}

Status Instance::set_fuel(uint64_t fuel) {
  wasm_runtime_set_instruction_count_limit(impl_->exec_env,
                                           instruction_budget(fuel));
  return {};
}

// See Instance::suspension().
bool can_suspend() { return false; }
void tick(wasm_engine_t *) {}

wasm_trap_t *new_trap(void *store, std::string_view message) {
  wasm_store_t *s =
      store != nullptr ? static_cast<wasm_store_t *>(store) : current_store;
  // Outside any instantiation or call there is no store to tie a trap to
  // (nor anything to return it to).
  return s != nullptr ? make_trap(s, message) : nullptr;
}

std::string trap_text(const wasm_trap_t *trap) { return message_of(trap); }

} // namespace engine
} // namespace hb_beamr
