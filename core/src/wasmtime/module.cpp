// The Wasmtime adapter's modules: compiling (after the legacy-exceptions
// rewrite), precompiled modules, and describing imports and exports.
#include "module_rewrite.hpp"
#include "type_description.hpp"
#include "wasmtime/adapter.hpp"

namespace hb_beamr::engine {

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

} // namespace hb_beamr::engine
