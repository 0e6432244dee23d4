// The Wasmtime engine adapter.
//
// Stores, instances and calls use wasmtime.h rather than wasm.h: a wasm.h
// store in Wasmtime has no handle through which a call could be interrupted,
// metered with fuel or resumed, and hb_beamr needs all three. Types, values
// and traps stay wasm.h's, shared with the rest of the core.
#include <algorithm>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include <sys/mman.h>
#include <unistd.h>

#include <wasmtime.h>

#include "engine_adapter.hpp"
#include "module_rewrite.hpp"
#include "slice_ticker.hpp"
#include "type_description.hpp"

namespace hb_beamr {

namespace {
// Wasmtime's wasm_valtype_kind() aborts for v128 and for reference types
// other than nullable funcref/externref, so types are told apart by equality
// with these, made once.
struct KnownValTypes {
  wasm_valtype_t *i32 = wasm_valtype_new(WASM_I32);
  wasm_valtype_t *i64 = wasm_valtype_new(WASM_I64);
  wasm_valtype_t *f32 = wasm_valtype_new(WASM_F32);
  wasm_valtype_t *f64 = wasm_valtype_new(WASM_F64);
  wasm_valtype_t *v128 = wasmtime_wasm_valtype_v128();
  wasm_valtype_t *funcref = wasm_valtype_new(WASM_FUNCREF);
};
} // namespace

ValType valtype_of(const wasm_valtype_t *type) {
  static const KnownValTypes known; // process lifetime: never freed
  if (wasmtime_wasm_valtype_equal(type, known.i32))
    return ValType::i32;
  if (wasmtime_wasm_valtype_equal(type, known.i64))
    return ValType::i64;
  if (wasmtime_wasm_valtype_equal(type, known.f32))
    return ValType::f32;
  if (wasmtime_wasm_valtype_equal(type, known.f64))
    return ValType::f64;
  if (wasmtime_wasm_valtype_equal(type, known.v128))
    return ValType::v128;
  if (wasmtime_wasm_valtype_equal(type, known.funcref))
    return ValType::funcref;
  return ValType::externref; // externref and every other reference type
}

MemoryLimits memory_limits(const wasm_memorytype_t *type) {
  MemoryLimits limits;
  limits.min = wasmtime_memorytype_minimum(type);
  limits.has_max = wasmtime_memorytype_maximum(type, &limits.max);
  limits.is64 = wasmtime_memorytype_is64(type);
  return limits;
}

namespace engine {
namespace {

struct ErrorDeleter {
  void operator()(wasmtime_error_t *e) const { wasmtime_error_delete(e); }
};
using ErrorPtr = std::unique_ptr<wasmtime_error_t, ErrorDeleter>;

struct TrapDeleter {
  void operator()(wasm_trap_t *t) const { wasm_trap_delete(t); }
};
using TrapPtr = std::unique_ptr<wasm_trap_t, TrapDeleter>;

std::string take_message(wasm_byte_vec_t &vec) {
  std::string text(vec.data, vec.size);
  wasm_byte_vec_delete(&vec);
  // Wasmtime NUL-terminates its messages; the NUL is not part of the text.
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  return text;
}

std::string message_of(wasmtime_error_t *error) {
  wasm_byte_vec_t vec;
  wasmtime_error_message(error, &vec);
  return take_message(vec);
}

// The spec's wording for each trap, so messages do not depend on how Wasmtime
// formats its backtraces.
const char *trap_code_text(wasmtime_trap_code_t code) {
  switch (code) {
  case WASMTIME_TRAP_CODE_STACK_OVERFLOW: return "call stack exhausted";
  case WASMTIME_TRAP_CODE_MEMORY_OUT_OF_BOUNDS:
    return "out of bounds memory access";
  case WASMTIME_TRAP_CODE_HEAP_MISALIGNED: return "misaligned memory access";
  case WASMTIME_TRAP_CODE_TABLE_OUT_OF_BOUNDS:
    return "undefined element: out of bounds table access";
  case WASMTIME_TRAP_CODE_INDIRECT_CALL_TO_NULL: return "uninitialized element";
  case WASMTIME_TRAP_CODE_BAD_SIGNATURE: return "indirect call type mismatch";
  case WASMTIME_TRAP_CODE_INTEGER_OVERFLOW: return "integer overflow";
  case WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO:
    return "integer divide by zero";
  case WASMTIME_TRAP_CODE_BAD_CONVERSION_TO_INTEGER:
    return "invalid conversion to integer";
  case WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED: return "unreachable";
  case WASMTIME_TRAP_CODE_INTERRUPT: return "interrupted";
  case WASMTIME_TRAP_CODE_OUT_OF_FUEL: return "all fuel consumed";
  default: return nullptr;
  }
}

bool is_gc_ref(wasmtime_valkind_t kind) {
  return kind == WASMTIME_EXTERNREF || kind == WASMTIME_ANYREF ||
         kind == WASMTIME_EXNREF;
}

bool is_null_ref(const wasmtime_val_t &v) {
  switch (v.kind) {
  case WASMTIME_FUNCREF: return v.of.funcref.store_id == 0;
  case WASMTIME_EXTERNREF: return v.of.externref.store_id == 0;
  case WASMTIME_ANYREF: return v.of.anyref.store_id == 0;
  case WASMTIME_EXNREF: return v.of.exnref.store_id == 0;
  default: return false;
  }
}

wasmtime_val_t null_ref(wasm_valkind_t kind) {
  wasmtime_val_t v;
  std::memset(&v, 0, sizeof v);
  v.kind = kind == WASM_FUNCREF ? WASMTIME_FUNCREF : WASMTIME_EXTERNREF;
  return v;
}

wasmtime_val_t null_ref(ValType type) {
  return null_ref(type == ValType::funcref ? WASM_FUNCREF : WASM_EXTERNREF);
}

// wasm.h values carry references as wasm_ref_t, which Wasmtime's store-based
// API cannot produce; only null references cross the host boundary.
Status to_wasmtime(const wasm_val_t &in, wasmtime_val_t *out) {
  std::memset(out, 0, sizeof *out);
  switch (in.kind) {
  case WASM_I32:
    out->kind = WASMTIME_I32;
    out->of.i32 = in.of.i32;
    break;
  case WASM_I64:
    out->kind = WASMTIME_I64;
    out->of.i64 = in.of.i64;
    break;
  case WASM_F32:
    out->kind = WASMTIME_F32;
    out->of.f32 = in.of.f32;
    break;
  case WASM_F64:
    out->kind = WASMTIME_F64;
    out->of.f64 = in.of.f64;
    break;
  case WASM_FUNCREF:
  case WASM_EXTERNREF:
    if (in.of.ref != nullptr)
      return make_error(ErrorKind::unsupported,
                        "non-null reference values cannot be passed in");
    *out = null_ref(in.kind);
    break;
  default: return make_error(ErrorKind::unsupported, "unsupported value kind");
  }
  return {};
}

Status from_wasmtime(const wasmtime_val_t &in, wasm_val_t *out) {
  std::memset(out, 0, sizeof *out);
  switch (in.kind) {
  case WASMTIME_I32:
    out->kind = WASM_I32;
    out->of.i32 = in.of.i32;
    break;
  case WASMTIME_I64:
    out->kind = WASM_I64;
    out->of.i64 = in.of.i64;
    break;
  case WASMTIME_F32:
    out->kind = WASM_F32;
    out->of.f32 = in.of.f32;
    break;
  case WASMTIME_F64:
    out->kind = WASM_F64;
    out->of.f64 = in.of.f64;
    break;
  case WASMTIME_FUNCREF:
  case WASMTIME_EXTERNREF:
  case WASMTIME_ANYREF:
  case WASMTIME_EXNREF:
    if (!is_null_ref(in))
      return make_error(ErrorKind::unsupported,
                        "non-null reference values cannot be returned");
    out->kind = in.kind == WASMTIME_FUNCREF ? WASM_FUNCREF : WASM_EXTERNREF;
    out->of.ref = nullptr;
    break;
  default:
    return make_error(ErrorKind::unsupported,
                      "v128 values cannot cross the host boundary");
  }
  return {};
}

} // namespace

const char *name() { return "wasmtime"; }

// Wasmtime keeps no per-thread state that embedders must set up.
bool attach_thread() { return false; }
void detach_thread() {}

namespace {

// Stacks for suspendable calls. Wasmtime runs each suspendable call on a
// stack of its own, and by default maps a fresh one for every call and
// unmaps it afterwards: a few microseconds of system calls per call, more
// than the call itself. This pool keeps a few freed stacks for the next
// calls. A stack is `size` usable bytes above one inaccessible guard page.
class StackPool {
public:
  struct Stack {
    uint8_t *base; // the guard page
    size_t size;   // usable bytes above it
    bool fresh;    // never used, so still zero
  };

  static StackPool &instance() {
    static StackPool *pool = new StackPool(); // process lifetime, see watchdog
    return *pool;
  }

  Stack *take(size_t size) {
    {
      Shard &shard = my_shard();
      std::lock_guard<std::mutex> lock(shard.mutex);
      for (auto it = shard.free.begin(); it != shard.free.end(); ++it)
        if ((*it)->size == size) {
          Stack *stack = *it;
          shard.free.erase(it);
          return stack;
        }
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    void *mem = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
      return nullptr;
    if (mprotect(mem, page, PROT_NONE) != 0) {
      munmap(mem, size + page);
      return nullptr;
    }
    return new Stack{static_cast<uint8_t *>(mem), size, true};
  }

  void give_back(Stack *stack) {
    stack->fresh = false;
    {
      Shard &shard = my_shard();
      std::lock_guard<std::mutex> lock(shard.mutex);
      if (shard.free.size() < kKeptPerShard) {
        shard.free.push_back(stack);
        return;
      }
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    munmap(stack->base, stack->size + page);
    delete stack;
  }

  static wasmtime_error_t *new_stack(void *, size_t size, bool zeroed,
                                     wasmtime_stack_memory_t *out) {
    Stack *stack = instance().take(size);
    if (stack == nullptr)
      return wasmtime_error_new("cannot map a stack for a suspendable call");
    if (zeroed && !stack->fresh) {
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      // Anonymous private pages read as zero again after this.
      madvise(stack->base + page, stack->size, MADV_DONTNEED);
    }
    out->env = stack;
    out->get_stack_memory = &StackPool::memory_of;
    out->finalizer = &StackPool::release;
    return nullptr;
  }

private:
  // Calls on different threads (schedulers) mostly use different shards,
  // so their locks do not bounce between cores.
  static constexpr size_t kShards = 8;
  static constexpr size_t kKeptPerShard = 4;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::vector<Stack *> free;
  };
  Shard &my_shard() {
    const size_t h = std::hash<std::thread::id>()(std::this_thread::get_id());
    return shards_[h % kShards];
  }

  static uint8_t *memory_of(void *env, size_t *len) {
    auto *stack = static_cast<Stack *>(env);
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    *len = stack->size;
    return stack->base + page + stack->size; // the top: stacks grow down
  }
  static void release(void *env) {
    instance().give_back(static_cast<Stack *>(env));
  }

  Shard shards_[kShards];
};

} // namespace

Result<EnginePtr> create_engine(wasm_config_t *config,
                                const EngineProfile &profile) {
  if (config == nullptr)
    config = wasm_config_new();
  if (config == nullptr)
    return make_error(ErrorKind::allocation, "cannot allocate engine config");
  wasmtime_config_wasm_memory64_set(config, true);
  wasmtime_config_wasm_bulk_memory_set(config, true);
  wasmtime_config_wasm_reference_types_set(config, true);
  wasmtime_config_wasm_multi_value_set(config, true);
  wasmtime_config_wasm_simd_set(config, true);
  wasmtime_config_gc_support_set(config, true);
  wasmtime_config_wasm_exceptions_set(config, true);
  // Interruption and time limits advance the engine's epoch; a store whose
  // deadline passes asks its callback whether to stop (see Instance::Impl).
  wasmtime_config_epoch_interruption_set(config, true);
  if (profile.consume_fuel)
    wasmtime_config_consume_fuel_set(config, true);
  if (profile.deterministic) {
    wasmtime_config_cranelift_nan_canonicalization_set(config, true);
    // Threads, the other nondeterministic feature, are not built in at all.
    wasmtime_config_wasm_relaxed_simd_deterministic_set(config, true);
  }
  if (profile.max_wasm_stack > 0) {
    wasmtime_config_max_wasm_stack_set(config, profile.max_wasm_stack);
    // Wasmtime refuses (by panicking) a wasm stack larger than the async
    // stack, whose default is 2 MiB; keep room above it for host frames.
    wasmtime_config_async_stack_size_set(config,
                                         profile.max_wasm_stack + (1 << 20));
  }
  wasmtime_stack_creator_t stacks{nullptr, &StackPool::new_stack, nullptr};
  wasmtime_config_host_stack_creator_set(config, &stacks);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  if (engine == nullptr)
    return make_error(ErrorKind::engine_init, "cannot create Wasmtime engine");
  slice_ticker::remember(engine);
  return EnginePtr(engine, [](wasm_engine_t *e) {
    slice_ticker::forget(e);
    wasm_engine_delete(e);
  });
}

void interrupt_all(const EnginePtr &engine) {
  wasmtime_engine_increment_epoch(engine.get());
}

void tick(wasm_engine_t *engine) { wasmtime_engine_increment_epoch(engine); }

bool can_suspend() { return true; }

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

namespace {
// Describes one import or export. Tags are Wasmtime's own kind in wasm.h.
// A table's limits come from `limits` when given: wasm_tabletype_limits()
// aborts the process on a table64 whose limits pass 2^32.
ExternDesc describe(const wasm_externtype_t *type, std::string module,
                    const wasm_name_t *name, const TableLimits *limits) {
  if (wasm_externtype_kind(type) == WASM_EXTERN_TAG)
    return describe_tag(
        wasm_tagtype_functype(wasm_externtype_as_tagtype_const(type)),
        std::move(module), name);
  return describe_extern(type, std::move(module), name, limits);
}

// The limits of the tables a module imports and exports, from the scan of
// its binary (see describe()).
struct ModuleTables {
  std::vector<TableLimits> imported; // each table import, in import order
  std::vector<TableLimits> exported; // each table export, in export order
  bool wide = false; // whether one of them has limits past 32 bits
};

Result<ModuleTables> tables_of(const rewrite::ModuleScan &scan) {
  if (!scan.understood || !scan.limits_known)
    return make_error(ErrorKind::load,
                      "cannot read table limits: the module binary uses an "
                      "encoding the scan does not know");
  ModuleTables out;
  // Adds table `index`'s limits to `to`; false if there is no such table.
  auto add = [&](std::vector<TableLimits> &to, size_t index) {
    if (index >= scan.tables.size())
      return false;
    const rewrite::Limits &l = scan.tables[index];
    to.push_back(TableLimits{l.min, l.max, l.has_max});
    out.wide =
        out.wide || l.min > UINT32_MAX || (l.has_max && l.max > UINT32_MAX);
    return true;
  };
  bool ok = true;
  for (rewrite::ExternKind kind : scan.import_kinds) // imported tables first
    if (kind == rewrite::ExternKind::table)
      ok = ok && add(out.imported, out.imported.size());
  for (const rewrite::Export &e : scan.exports)
    if (e.kind == rewrite::ExternKind::table)
      ok = ok && add(out.exported, e.index);
  if (!ok)
    return make_error(ErrorKind::load,
                      "cannot read table limits: a table index is out of "
                      "range");
  return out;
}

// The limits of the next table in `list` (the binary's imported or exported
// tables), or null when there is no binary.
Result<const TableLimits *> next_table(const std::vector<TableLimits> *list,
                                       size_t &used) {
  if (list == nullptr)
    return static_cast<const TableLimits *>(nullptr);
  if (used >= list->size())
    return make_error(ErrorKind::load,
                      "cannot read table limits: the module binary lists "
                      "fewer tables than Wasmtime");
  return &(*list)[used++];
}

// Fills in `module`'s imports and exports. `tables` are the limits read from
// the module's binary; a deserialized module has none, and its tables then
// fit in 32 bits, since serialize() refuses a module whose tables do not.
Status describe_module(Module &module, const ModuleTables *tables) {
  const TableLimits *none = nullptr;
  size_t used = 0;
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(module.raw_, &imports);
  Status status;
  for (size_t i = 0; status && i < imports.size; ++i) {
    const wasm_externtype_t *type = wasm_importtype_type(imports.data[i]);
    const wasm_name_t *from = wasm_importtype_module(imports.data[i]);
    Result<const TableLimits *> limits =
        wasm_externtype_kind(type) != WASM_EXTERN_TABLE
            ? none
            : next_table(tables ? &tables->imported : nullptr, used);
    if (!limits) {
      status = limits.error();
      break;
    }
    module.imports_.push_back(
        describe(type, std::string(from->data, from->size),
                 wasm_importtype_name(imports.data[i]), limits.value()));
  }
  wasm_importtype_vec_delete(&imports);
  used = 0;
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(module.raw_, &exports);
  for (size_t i = 0; status && i < exports.size; ++i) {
    const wasm_externtype_t *type = wasm_exporttype_type(exports.data[i]);
    Result<const TableLimits *> limits =
        wasm_externtype_kind(type) != WASM_EXTERN_TABLE
            ? none
            : next_table(tables ? &tables->exported : nullptr, used);
    if (!limits) {
      status = limits.error();
      break;
    }
    module.exports_.push_back(describe(
        type, "", wasm_exporttype_name(exports.data[i]), limits.value()));
  }
  wasm_exporttype_vec_delete(&exports);
  module.wide_tables_ = tables != nullptr && tables->wide;
  return status;
}

Result<ModulePtr> adopt_module(const EnginePtr &engine, wasmtime_error_t *err,
                               wasmtime_module_t *raw, const char *what,
                               const ModuleTables *tables) {
  if (err != nullptr) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::load,
                      std::string(what) + ": " + message_of(err));
  }
  auto module = std::make_shared<Module>(engine, raw);
  if (Status described = describe_module(*module, tables); !described)
    return described.error();
  return ModulePtr(std::move(module));
}
} // namespace

Result<ModulePtr> compile(const EnginePtr &engine, const uint8_t *bytes,
                          size_t size) {
  // Wasmtime runs only the standard form of exception handling; emscripten
  // modules use the legacy one, so it is rewritten first. Other modules
  // compile from the caller's bytes as they are.
  Result<rewrite::ModuleBytes> module = rewrite::legacy_exceptions(bytes, size);
  if (!module)
    return module.error();
  wasmtime_module_t *raw = nullptr;
  wasmtime_error_t *err = wasmtime_module_new(
      engine.get(), module.value().data(), module.value().size(), &raw);
  if (err != nullptr)
    return adopt_module(engine, err, raw, "cannot compile module", nullptr);
  auto compiled = std::make_shared<Module>(engine, raw); // owns raw from here
  // Table limits are read from the binary Wasmtime has just validated (see
  // describe()).
  Result<ModuleTables> tables = tables_of(
      rewrite::scan_module(module.value().data(), module.value().size()));
  if (!tables)
    return tables.error();
  if (Status described = describe_module(*compiled, &tables.value());
      !described)
    return described.error();
  return ModulePtr(std::move(compiled));
}

Result<ModulePtr> deserialize(const EnginePtr &engine, const uint8_t *bytes,
                              size_t size) {
  wasmtime_module_t *raw = nullptr;
  wasmtime_error_t *err =
      wasmtime_module_deserialize(engine.get(), bytes, size, &raw);
  return adopt_module(engine, err, raw, "cannot load precompiled module",
                      nullptr);
}

Result<std::vector<uint8_t>> serialize(const Module &module) {
  // A precompiled module has no binary to read table limits from, and
  // wasm.h's accessor aborts the process on limits past 2^32 (see describe()).
  if (module.wide_tables_)
    return make_error(ErrorKind::unsupported,
                      "cannot serialize module: an imported or exported "
                      "table's limits pass 2^32 elements, which a "
                      "precompiled module cannot describe");
  wasm_byte_vec_t vec;
  if (wasmtime_error_t *err = wasmtime_module_serialize(module.raw_, &vec)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::unsupported,
                      "cannot serialize module: " + message_of(err));
  }
  std::vector<uint8_t> out(vec.data, vec.data + vec.size);
  wasm_byte_vec_delete(&vec);
  return out;
}

const std::vector<ExternDesc> &imports(const Module &module) {
  return module.imports_;
}
const std::vector<ExternDesc> &exports(const Module &module) {
  return module.exports_;
}

struct Instance::Impl {
  struct HostEnv {
    Impl *impl;
    size_t index;
  };
  struct Suspended;

  // One suspendable call in progress. Wasmtime reads args and writes
  // results, trap and error until the future is deleted, so they live here,
  // at a fixed address.
  struct Frame {
    wasmtime_func_t func{};
    std::vector<wasmtime_val_t> args;
    std::vector<wasmtime_val_t> results;
    size_t nparams = 0;
    size_t nresults = 0;
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
  ImportHandler handler;
  wasmtime_store_t *store = nullptr;
  // The context calls go through: the store's own at top level, the caller's
  // while a host function runs (nested calls must use it).
  wasmtime_context_t *active = nullptr;
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

  // Suspendable calls, outermost first; only the outermost future is polled
  // from outside.
  bool suspending = false;
  std::vector<std::unique_ptr<Frame>> frames;
  // End of the slice being polled, if any.
  std::optional<SteadyClock::time_point> slice_end;
  // Set while abandon() unwinds everything.
  bool abandoning = false;

  // Exported functions already looked up, with their signatures: a call by
  // name would otherwise ask Wasmtime for the export and rebuild its type
  // every time, which costs more than a small call itself. Exports of an
  // instance never change.
  struct ExportedFunc {
    wasmtime_func_t func;
    FuncSig sig;
  };
  std::unordered_map<std::string, ExportedFunc> exported_funcs;
  Result<const ExportedFunc *> exported_func(std::string_view name);

  ~Impl() {
    drop_frames();
    if (store != nullptr)
      wasmtime_store_delete(store);
  }

  // Runs when the engine's epoch passes this store's deadline, which happens
  // when somebody calls interrupt() and, while a slice runs, at every tick:
  // stop if asked to, yield if the slice is over, else carry on.
  static wasmtime_error_t *on_epoch(wasmtime_context_t *, void *data,
                                    uint64_t *delta,
                                    wasmtime_update_deadline_kind_t *kind) {
    auto *self = static_cast<Impl *>(data);
    if (self->abandoning ||
        (self->stop_requested != nullptr && self->stop_requested->load())) {
      static const char text[] = "interrupted";
      return wasmtime_error_new(text);
    }
    *delta = 1;
    *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
    if (self->slice_end && SteadyClock::now() >= *self->slice_end)
      *kind = WASMTIME_UPDATE_DEADLINE_YIELD;
    return nullptr;
  }

  static void suspending_host(void *env, wasmtime_caller_t *caller,
                              const wasmtime_val_t *args, size_t nargs,
                              wasmtime_val_t *results, size_t nresults,
                              wasm_trap_t **trap_ret,
                              wasmtime_async_continuation_t *continuation);
  static bool continue_host(void *env);
  static void drop_host(void *env);
  static bool host_done(void *) { return true; }
  // Deletes a frame's future and whatever trap or error it left.
  static void delete_frame_future(Frame &frame);
  void drop_frames();
  Status answer_now(size_t index, const wasmtime_val_t *args, size_t nargs,
                    wasmtime_val_t *results, size_t nresults);

  static wasm_trap_t *trampoline(void *env, wasmtime_caller_t *caller,
                                 const wasmtime_val_t *args, size_t nargs,
                                 wasmtime_val_t *results, size_t nresults);
  Error trap_error(wasm_trap_t *trap);
  Status finish_call(wasmtime_error_t *err, wasm_trap_t *trap);
  Result<wasmtime_func_t> table_func(uint64_t index);
  Result<wasmtime_extern_t> find_export(std::string_view name);
  Status invoke(const wasmtime_func_t &func, const wasm_val_t *args,
                wasm_val_t *results);
};

// Runs the ImportHandler for an import, synchronously.
Status Instance::Impl::answer_now(size_t index, const wasmtime_val_t *args,
                                  size_t nargs, wasmtime_val_t *results,
                                  size_t nresults) {
  const FuncSig &sig = imports(*module)[index].func;
  std::vector<wasm_val_t> in(nargs), out(nresults);
  for (size_t i = 0; i < nargs; ++i) {
    Status s = from_wasmtime(args[i], &in[i]);
    if (!s)
      return s;
  }
  for (size_t i = 0; i < nresults; ++i)
    out[i] = zero_value(sig.results[i]);
  Status status;
  // Unwinding through Wasmtime's frames is undefined: stop exceptions here.
  try {
    status = handler(index, in.data(), out.data());
  } catch (const std::exception &e) {
    status = make_error(ErrorKind::trap,
                        std::string("host function threw: ") + e.what());
  } catch (...) {
    status = make_error(ErrorKind::trap, "host function threw");
  }
  for (size_t i = 0; status && i < nresults; ++i)
    status = to_wasmtime(out[i], &results[i]);
  return status;
}

wasm_trap_t *Instance::Impl::trampoline(void *env, wasmtime_caller_t *caller,
                                        const wasmtime_val_t *args,
                                        size_t nargs, wasmtime_val_t *results,
                                        size_t nresults) {
  auto *host = static_cast<HostEnv *>(env);
  Impl &self = *host->impl;
  wasmtime_context_t *outer = self.active;
  self.active = wasmtime_caller_context(caller);
  Status status = self.answer_now(host->index, args, nargs, results, nresults);
  self.active = outer;
  if (status)
    return nullptr;
  self.host_trap_message = status.error().message;
  return wasmtime_trap_new(self.host_trap_message.data(),
                           self.host_trap_message.size());
}

void Instance::Impl::suspending_host(
    void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args,
    size_t nargs, wasmtime_val_t *results, size_t nresults,
    wasm_trap_t **trap_ret, wasmtime_async_continuation_t *continuation) {
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
  auto suspended = std::make_unique<Suspended>();
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

bool Instance::Impl::continue_host(void *env) {
  auto &host = *static_cast<Suspended *>(env);
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

Result<wasmtime_extern_t> Instance::Impl::find_export(std::string_view name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(active, &instance, name.data(), name.size(),
                                    &item))
    return make_error(ErrorKind::lookup,
                      "no export named \"" + std::string(name) + "\"");
  return item;
}

Result<const Instance::Impl::ExportedFunc *>
Instance::Impl::exported_func(std::string_view name) {
  std::string key(name);
  auto found = exported_funcs.find(key);
  if (found != exported_funcs.end())
    return &found->second;
  Result<wasmtime_extern_t> item = find_export(name);
  if (!item)
    return item.error();
  if (item.value().kind != WASMTIME_EXTERN_FUNC)
    return make_error(ErrorKind::lookup,
                      "export \"" + key + "\" is not a function");
  wasm_functype_t *type = wasmtime_func_type(active, &item.value().of.func);
  ExportedFunc entry{item.value().of.func, funcsig_of(type)};
  wasm_functype_delete(type);
  return &exported_funcs.emplace(std::move(key), std::move(entry))
              .first->second;
}

Result<wasmtime_func_t> Instance::Impl::table_func(uint64_t index) {
  if (!has_table)
    return make_error(ErrorKind::lookup, "module exports no function table");
  wasmtime_val_t val;
  if (!wasmtime_table_get(active, &table, index, &val))
    return make_error(ErrorKind::invalid_argument,
                      "table index " + std::to_string(index) +
                          " is out of range (table size " +
                          std::to_string(wasmtime_table_size(active, &table)) +
                          ")");
  if (val.kind != WASMTIME_FUNCREF || val.of.funcref.store_id == 0)
    return make_error(ErrorKind::invalid_argument,
                      "table entry " + std::to_string(index) + " is null");
  return val.of.funcref;
}

Status Instance::Impl::invoke(const wasmtime_func_t &func,
                              const wasm_val_t *args, wasm_val_t *results) {
  wasm_functype_t *type = wasmtime_func_type(active, &func);
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  std::vector<wasmtime_val_t> in(sig.params.size()), out(sig.results.size());
  for (size_t i = 0; i < in.size(); ++i) {
    Status s = to_wasmtime(args[i], &in[i]);
    if (!s)
      return s;
  }
  host_trap_message.clear();
  wasm_trap_t *trap = nullptr;
  wasmtime_error_t *err = wasmtime_func_call(
      active, &func, in.data(), in.size(), out.data(), out.size(), &trap);
  Status status = finish_call(err, trap);
  for (size_t i = 0; status && i < out.size(); ++i)
    status = from_wasmtime(out[i], &results[i]);
  if (err == nullptr && trap == nullptr)
    for (auto &v : out)
      if (is_gc_ref(v.kind))
        wasmtime_val_unroot(&v);
  return status;
}

namespace {

Status instantiate_plain(Instance::Impl &impl,
                         std::vector<wasmtime_extern_t> &externs) {
  wasm_trap_t *trap = nullptr;
  wasmtime_error_t *err =
      wasmtime_instance_new(impl.active, impl.module->raw_, externs.data(),
                            externs.size(), &impl.instance, &trap);
  return impl.finish_call(err, trap);
}

struct LinkerDeleter {
  void operator()(wasmtime_linker_t *l) const { wasmtime_linker_delete(l); }
};

// Suspending host functions exist only as linker definitions, and a module
// using them must be instantiated asynchronously: the start function runs
// on a fiber, polled here until it ends (it can still be interrupted).
Status instantiate_suspending(Instance::Impl &impl,
                              const wasm_importtype_vec_t &types,
                              std::vector<wasmtime_extern_t> &externs) {
  std::unique_ptr<wasmtime_linker_t, LinkerDeleter> linker(
      wasmtime_linker_new(impl.engine.get()));
  wasmtime_linker_allow_shadowing(linker.get(), true);
  size_t host = 0;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_importtype_t *type = types.data[i];
    const wasm_name_t *module = wasm_importtype_module(type);
    const wasm_name_t *name = wasm_importtype_name(type);
    wasmtime_error_t *err = nullptr;
    if (externs[i].kind == WASMTIME_EXTERN_FUNC) {
      err = wasmtime_linker_define_async_func(
          linker.get(), module->data, module->size, name->data, name->size,
          wasm_externtype_as_functype_const(wasm_importtype_type(type)),
          &Instance::Impl::suspending_host, impl.host_envs[host++].get(),
          nullptr);
    } else {
      err = wasmtime_linker_define(linker.get(), impl.active, module->data,
                                   module->size, name->data, name->size,
                                   &externs[i]);
    }
    if (err != nullptr) {
      ErrorPtr owned(err);
      return make_error(ErrorKind::link, message_of(err));
    }
  }
  wasm_trap_t *trap = nullptr;
  wasmtime_error_t *err = nullptr;
  wasmtime_call_future_t *future = wasmtime_linker_instantiate_async(
      linker.get(), impl.active, impl.module->raw_, &impl.instance, &trap,
      &err);
  while (!wasmtime_call_future_poll(future)) {
  }
  wasmtime_call_future_delete(future);
  return impl.finish_call(err, trap);
}

} // namespace

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

Result<std::unique_ptr<Instance>>
Instance::create(const EnginePtr &engine, const ModulePtr &module,
                 ImportHandler handler, const InstanceSettings &settings) {
  auto impl = std::make_unique<Impl>();
  impl->engine = engine;
  impl->module = module;
  impl->handler = std::move(handler);
  impl->store = wasmtime_store_new(engine.get(), nullptr, nullptr);
  if (impl->store == nullptr)
    return make_error(ErrorKind::allocation, "cannot create store");
  impl->active = wasmtime_store_context(impl->store);
  wasmtime_context_t *ctx = impl->active;
  impl->stop_requested = settings.stop_requested;
  impl->suspending = settings.suspending_imports;
  wasmtime_store_epoch_deadline_callback(impl->store, &Impl::on_epoch,
                                         impl.get(), nullptr);
  wasmtime_context_set_epoch_deadline(ctx, 1);
  auto limit = [](uint64_t value) {
    return value == 0 ? int64_t{-1} : static_cast<int64_t>(value);
  };
  if (settings.max_memory_bytes > 0 || settings.max_table_elements > 0)
    wasmtime_store_limiter(impl->store, limit(settings.max_memory_bytes),
                           limit(settings.max_table_elements), -1, -1, -1);
  if (settings.fuel > 0)
    if (wasmtime_error_t *err = wasmtime_context_set_fuel(ctx, settings.fuel)) {
      ErrorPtr owned(err);
      return make_error(ErrorKind::unsupported, message_of(err));
    }

  wasm_importtype_vec_t types;
  wasmtime_module_imports(module->raw_, &types);
  std::vector<wasmtime_extern_t> externs(types.size);
  Status status;
  for (size_t i = 0; status && i < types.size; ++i) {
    const wasm_externtype_t *type = wasm_importtype_type(types.data[i]);
    wasmtime_extern_t &ext = externs[i];
    wasmtime_error_t *err = nullptr;
    switch (wasm_externtype_kind(type)) {
    case WASM_EXTERN_FUNC: {
      impl->host_envs.push_back(
          std::make_unique<Impl::HostEnv>(Impl::HostEnv{impl.get(), i}));
      ext.kind = WASMTIME_EXTERN_FUNC;
      // Suspending imports are defined in the linker instead.
      if (!impl->suspending)
        wasmtime_func_new(ctx, wasm_externtype_as_functype_const(type),
                          &Impl::trampoline, impl->host_envs.back().get(),
                          nullptr, &ext.of.func);
      break;
    }
    case WASM_EXTERN_MEMORY:
      ext.kind = WASMTIME_EXTERN_MEMORY;
      err = wasmtime_memory_new(ctx, wasm_externtype_as_memorytype_const(type),
                                &ext.of.memory);
      break;
    case WASM_EXTERN_TABLE: {
      const wasm_tabletype_t *tt = wasm_externtype_as_tabletype_const(type);
      wasmtime_val_t init = null_ref(valtype_of(wasm_tabletype_element(tt)));
      ext.kind = WASMTIME_EXTERN_TABLE;
      err = wasmtime_table_new(ctx, tt, &init, &ext.of.table);
      break;
    }
    case WASM_EXTERN_GLOBAL: {
      const wasm_globaltype_t *gt = wasm_externtype_as_globaltype_const(type);
      ValType content = valtype_of(wasm_globaltype_content(gt));
      if (content == ValType::v128) {
        status = make_error(ErrorKind::link,
                            "cannot provide a global import of type v128");
        break;
      }
      wasmtime_val_t init;
      status = to_wasmtime(zero_value(content), &init);
      ext.kind = WASMTIME_EXTERN_GLOBAL;
      err = wasmtime_global_new(ctx, gt, &init, &ext.of.global);
      break;
    }
    default: status = make_error(ErrorKind::link, "unsupported import kind");
    }
    if (err != nullptr) {
      ErrorPtr owned(err);
      const ExternDesc &d = imports(*module)[i];
      status = make_error(ErrorKind::link, "cannot provide import " + d.module +
                                               "." + d.name + ": " +
                                               message_of(err));
    }
  }
  if (!status) {
    wasm_importtype_vec_delete(&types);
    return status.error();
  }
  Status made = impl->suspending ? instantiate_suspending(*impl, types, externs)
                                 : instantiate_plain(*impl, externs);
  wasm_importtype_vec_delete(&types);
  if (!made)
    return make_error(ErrorKind::instantiate,
                      "cannot instantiate module: " + made.error().message);

  // The default memory is "memory" if exported, else the first memory; the
  // function table is __indirect_function_table, else the first funcref table.
  for (size_t i = 0;; ++i) {
    char *name = nullptr;
    size_t len = 0;
    wasmtime_extern_t item;
    if (!wasmtime_instance_export_nth(ctx, &impl->instance, i, &name, &len,
                                      &item))
      break;
    std::string_view export_name(name, len);
    if (item.kind == WASMTIME_EXTERN_MEMORY &&
        (!impl->has_memory || export_name == "memory")) {
      impl->memory = item.of.memory;
      impl->has_memory = true;
    }
    if (item.kind == WASMTIME_EXTERN_TABLE &&
        (!impl->has_table || export_name == "__indirect_function_table")) {
      wasm_tabletype_t *tt = wasmtime_table_type(ctx, &item.of.table);
      bool funcs = valtype_of(wasm_tabletype_element(tt)) == ValType::funcref;
      wasm_tabletype_delete(tt);
      if (funcs) {
        impl->table = item.of.table;
        impl->has_table = true;
      }
    }
  }
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

Result<FuncSig> Instance::export_signature(std::string_view name) {
  Result<const Impl::ExportedFunc *> found = impl_->exported_func(name);
  if (!found)
    return found.error();
  return found.value()->sig;
}

Status Instance::call(std::string_view name, const wasm_val_t *args,
                      wasm_val_t *results) {
  Result<const Impl::ExportedFunc *> found = impl_->exported_func(name);
  if (!found)
    return found.error();
  return impl_->invoke(found.value()->func, args, results);
}

Result<FuncSig> Instance::table_signature(uint64_t index) {
  Result<wasmtime_func_t> func = impl_->table_func(index);
  if (!func)
    return func.error();
  wasm_functype_t *type = wasmtime_func_type(impl_->active, &func.value());
  FuncSig sig = funcsig_of(type);
  wasm_functype_delete(type);
  return sig;
}

Status Instance::call_indirect(uint64_t index, const wasm_val_t *args,
                               wasm_val_t *results) {
  Result<wasmtime_func_t> func = impl_->table_func(index);
  if (!func)
    return func.error();
  return impl_->invoke(func.value(), args, results);
}

Result<MemoryView> Instance::memory() {
  if (!impl_->has_memory)
    return make_error(ErrorKind::lookup, "module exports no memory");
  wasm_memorytype_t *type = wasmtime_memory_type(impl_->active, &impl_->memory);
  bool is64 = wasmtime_memorytype_is64(type);
  wasm_memorytype_delete(type);
  return MemoryView{wasmtime_memory_data(impl_->active, &impl_->memory),
                    wasmtime_memory_data_size(impl_->active, &impl_->memory),
                    is64};
}

Result<uint64_t> Instance::memory_grow(uint64_t delta_pages) {
  if (!impl_->has_memory)
    return make_error(ErrorKind::lookup, "module exports no memory");
  uint64_t previous = 0;
  if (wasmtime_error_t *err = wasmtime_memory_grow(
          impl_->active, &impl_->memory, delta_pages, &previous)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::out_of_bounds,
                      "cannot grow memory by " + std::to_string(delta_pages) +
                          " pages: " + message_of(err));
  }
  return previous;
}

Result<wasm_val_t> Instance::global_get(std::string_view name) {
  Result<wasmtime_extern_t> item = impl_->find_export(name);
  if (!item)
    return item.error();
  if (item.value().kind != WASMTIME_EXTERN_GLOBAL)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a global");
  wasmtime_val_t raw;
  wasmtime_global_get(impl_->active, &item.value().of.global, &raw);
  wasm_val_t out;
  Status s = from_wasmtime(raw, &out);
  if (is_gc_ref(raw.kind))
    wasmtime_val_unroot(&raw);
  if (!s)
    return s.error();
  return out;
}

Status Instance::global_set(std::string_view name, const wasm_val_t &value) {
  Result<wasmtime_extern_t> item = impl_->find_export(name);
  if (!item)
    return item.error();
  if (item.value().kind != WASMTIME_EXTERN_GLOBAL)
    return make_error(ErrorKind::lookup,
                      "export \"" + std::string(name) + "\" is not a global");
  const wasmtime_global_t &global = item.value().of.global;
  wasm_globaltype_t *type = wasmtime_global_type(impl_->active, &global);
  bool mutable_global = wasm_globaltype_mutability(type) == WASM_VAR;
  ValType content = valtype_of(wasm_globaltype_content(type));
  wasm_globaltype_delete(type);
  wasm_valkind_t kind;
  bool representable = to_wasm_valkind(content, &kind);
  if (!mutable_global)
    return make_error(ErrorKind::invalid_argument,
                      "global \"" + std::string(name) + "\" is immutable");
  if (!representable || kind != value.kind)
    return make_error(ErrorKind::invalid_argument,
                      "value has the wrong type for global \"" +
                          std::string(name) + "\"");
  wasmtime_val_t raw;
  Status s = to_wasmtime(value, &raw);
  if (!s)
    return s;
  if (wasmtime_error_t *err =
          wasmtime_global_set(impl_->active, &global, &raw)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::invalid_argument, message_of(err));
  }
  return {};
}

void *Instance::store_handle() { return impl_->active; }

void Instance::interrupt() {
  wasmtime_engine_increment_epoch(impl_->engine.get());
}

Status Instance::set_fuel(uint64_t fuel) {
  if (wasmtime_error_t *err = wasmtime_context_set_fuel(impl_->active, fuel)) {
    ErrorPtr owned(err);
    return make_error(ErrorKind::unsupported, message_of(err));
  }
  return {};
}

Status Instance::begin(std::string_view name, uint64_t index,
                       const wasm_val_t *args) {
  Impl &self = *impl_;
  if (!self.suspending)
    return make_error(ErrorKind::invalid_state,
                      "instance was not made for suspendable calls");
  wasmtime_context_t *ctx = self.active;
  Impl::Suspended *parent = nullptr;
  if (!self.frames.empty()) {
    Impl::Frame &top = *self.frames.back();
    if (top.done || top.host == nullptr || top.host->child != nullptr ||
        top.host->answer != Impl::Suspended::Answer::none)
      return make_error(ErrorKind::invalid_state,
                        "a call can only start at top level or inside an "
                        "import that awaits its answer");
    parent = top.host;
    ctx = wasmtime_caller_context(parent->caller);
  }
  auto frame = std::make_unique<Impl::Frame>();
  if (!name.empty()) {
    Result<const Impl::ExportedFunc *> found = self.exported_func(name);
    if (!found)
      return found.error();
    frame->func = found.value()->func;
    frame->nparams = found.value()->sig.params.size();
    frame->nresults = found.value()->sig.results.size();
  } else {
    Result<wasmtime_func_t> func = self.table_func(index);
    if (!func)
      return func.error();
    frame->func = func.value();
    wasm_functype_t *type = wasmtime_func_type(ctx, &frame->func);
    const FuncSig sig = funcsig_of(type);
    wasm_functype_delete(type);
    frame->nparams = sig.params.size();
    frame->nresults = sig.results.size();
  }
  frame->args.resize(frame->nparams);
  for (size_t i = 0; i < frame->args.size(); ++i)
    if (Status s = to_wasmtime(args[i], &frame->args[i]); !s)
      return s;
  frame->results.resize(frame->nresults);
  self.host_trap_message.clear();
  frame->future = wasmtime_func_call_async(
      ctx, &frame->func, frame->args.data(), frame->args.size(),
      frame->results.data(), frame->results.size(), &frame->trap,
      &frame->error);
  if (parent != nullptr)
    parent->child = frame.get();
  self.frames.push_back(std::move(frame));
  return {};
}

Result<Progress> Instance::poll(SteadyClock::time_point slice_end) {
  Impl &self = *impl_;
  if (self.frames.empty())
    return make_error(ErrorKind::invalid_state, "no call in progress");
  auto innermost = [&]() -> Result<Progress> {
    const Impl::Frame &top = *self.frames.back();
    if (top.done)
      return Progress::finished;
    if (top.host != nullptr && top.host->child == nullptr &&
        top.host->answer == Impl::Suspended::Answer::none)
      return Progress::awaiting_import;
    return Progress::yielded;
  };
  Result<Progress> now = innermost();
  if (!now || now.value() != Progress::yielded)
    return now;
  Impl::Frame &root = *self.frames.front();
  self.slice_end = slice_end;
  slice_ticker::enter();
  root.done = wasmtime_call_future_poll(root.future);
  self.slice_end.reset();
  return innermost();
}

Result<const FuncSig *> Instance::export_signature_ref(std::string_view name) {
  Result<const Impl::ExportedFunc *> found = impl_->exported_func(name);
  if (!found)
    return found.error();
  return &found.value()->sig;
}

Status Instance::finish(std::vector<wasm_val_t> &results) {
  Impl &self = *impl_;
  if (self.frames.empty() || !self.frames.back()->done)
    return make_error(ErrorKind::invalid_state, "no finished call");
  Impl::Frame &frame = *self.frames.back();
  const bool ok = frame.error == nullptr && frame.trap == nullptr;
  Status status = self.finish_call(frame.error, frame.trap);
  frame.error = nullptr; // finish_call took them
  frame.trap = nullptr;
  results.resize(frame.results.size());
  for (size_t i = 0; status && i < frame.results.size(); ++i)
    status = from_wasmtime(frame.results[i], &results[i]);
  if (ok)
    for (auto &v : frame.results)
      if (is_gc_ref(v.kind))
        wasmtime_val_unroot(&v);
  Impl::delete_frame_future(frame);
  self.frames.pop_back();
  if (!self.frames.empty() && self.frames.back()->host != nullptr)
    self.frames.back()->host->child = nullptr;
  return status;
}

const PendingImport *Instance::pending_import() const {
  const Impl &self = *impl_;
  if (self.frames.empty())
    return nullptr;
  const Impl::Frame &top = *self.frames.back();
  if (top.done || top.host == nullptr || top.host->child != nullptr ||
      top.host->answer != Impl::Suspended::Answer::none)
    return nullptr;
  return &top.host->request;
}

Status Instance::answer(const wasm_val_t *results) {
  if (pending_import() == nullptr)
    return make_error(ErrorKind::invalid_state, "no import awaits an answer");
  Impl::Suspended &host = *impl_->frames.back()->host;
  host.values.assign(results, results + host.nresults);
  host.answer = Impl::Suspended::Answer::results;
  return {};
}

void Instance::reject(std::string message) {
  if (pending_import() == nullptr)
    return;
  Impl::Suspended &host = *impl_->frames.back()->host;
  host.message = std::move(message);
  host.answer = Impl::Suspended::Answer::error;
}

void Instance::abandon() { impl_->drop_frames(); }

size_t Instance::suspended_calls() const { return impl_->frames.size(); }

wasm_trap_t *new_trap(void *, std::string_view message) {
  return wasmtime_trap_new(message.data(), message.size());
}

std::string trap_text(const wasm_trap_t *trap) {
  wasm_message_t vec;
  wasm_trap_message(trap, &vec);
  return take_message(vec);
}

} // namespace engine
} // namespace hb_beamr
