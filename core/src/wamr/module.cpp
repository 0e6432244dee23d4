// The WAMR adapter's modules: preparing the binary for WAMR (the module
// rewrite), loading it, and describing imports and exports with what the
// binary says where WAMR's wasm.h is not faithful.
#include <cassert>
#include <cstring>

#include "type_description.hpp"
#include "wamr/adapter.hpp"

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

} // namespace engine
} // namespace hb_beamr
