// Signatures and descriptions of imports/exports, built from wasm.h types.
#include "hb_beamr/types.hpp"

#include <cassert>
#include <cstring>

#include "type_description.hpp"

namespace hb_beamr {

std::string FuncSig::text() const {
  std::string out = "(";
  for (ValType t : params)
    out.push_back(static_cast<char>(t));
  out.push_back(')');
  for (ValType t : results)
    out.push_back(static_cast<char>(t));
  return out;
}

bool to_wasm_valkind(ValType type, wasm_valkind_t *out) {
  switch (type) {
  case ValType::i32: *out = WASM_I32; return true;
  case ValType::i64: *out = WASM_I64; return true;
  case ValType::f32: *out = WASM_F32; return true;
  case ValType::f64: *out = WASM_F64; return true;
  case ValType::funcref: *out = WASM_FUNCREF; return true;
  case ValType::externref: *out = WASM_EXTERNREF; return true;
  case ValType::v128: return false;
  }
  return false;
}

wasm_val_t zero_value(ValType type) {
  wasm_val_t v;
  std::memset(&v, 0, sizeof v);
  wasm_valkind_t kind = WASM_I32;
  to_wasm_valkind(type, &kind);
  v.kind = kind;
  return v;
}

FuncSig funcsig_of(const wasm_functype_t *type) {
  FuncSig sig;
  const wasm_valtype_vec_t *params = wasm_functype_params(type);
  const wasm_valtype_vec_t *results = wasm_functype_results(type);
  for (size_t i = 0; i < params->size; ++i)
    sig.params.push_back(valtype_of(params->data[i]));
  for (size_t i = 0; i < results->size; ++i)
    sig.results.push_back(valtype_of(results->data[i]));
  return sig;
}

static std::string limits_text(uint64_t min, bool has_max, uint64_t max) {
  std::string out = std::to_string(min) + "..";
  if (has_max)
    out += std::to_string(max);
  return out;
}

ExternDesc describe_extern(const wasm_externtype_t *type, std::string module,
                           const wasm_name_t *name, const TableLimits *table) {
  ExternDesc desc;
  desc.module = std::move(module);
  // Engines differ on whether names are NUL-terminated; size is authoritative.
  desc.name.assign(name->data, name->size);
  switch (wasm_externtype_kind(type)) {
  case WASM_EXTERN_FUNC: {
    desc.kind = ExternKind::func;
    desc.func = funcsig_of(wasm_externtype_as_functype_const(type));
    desc.signature = desc.func.text();
    break;
  }
  case WASM_EXTERN_GLOBAL: {
    desc.kind = ExternKind::global;
    const wasm_globaltype_t *g = wasm_externtype_as_globaltype_const(type);
    desc.signature = wasm_globaltype_mutability(g) == WASM_VAR ? "mut " : "";
    desc.signature.push_back(
        static_cast<char>(valtype_of(wasm_globaltype_content(g))));
    break;
  }
  case WASM_EXTERN_TABLE: {
    desc.kind = ExternKind::table;
    const wasm_tabletype_t *t = wasm_externtype_as_tabletype_const(type);
    TableLimits limits;
    if (table != nullptr) {
      limits = *table;
    } else {
      const wasm_limits_t *l = wasm_tabletype_limits(t);
      limits.min = l->min;
      limits.has_max = l->max != wasm_limits_max_default;
      limits.max = l->max;
    }
    desc.signature.push_back(
        static_cast<char>(valtype_of(wasm_tabletype_element(t))));
    desc.signature += ":" + limits_text(limits.min, limits.has_max, limits.max);
    break;
  }
  case WASM_EXTERN_MEMORY: {
    desc.kind = ExternKind::memory;
    MemoryLimits m = memory_limits(wasm_externtype_as_memorytype_const(type));
    desc.signature = std::string(m.is64 ? "i64:" : "i32:") +
                     limits_text(m.min, m.has_max, m.max);
    break;
  }
  default:
    // Tags, the one other kind, are engine-specific in wasm.h: adapters
    // describe them with describe_tag() and must not pass them here.
    assert(false && "engine-specific extern kind passed to describe_extern");
    break;
  }
  return desc;
}

ExternDesc describe_tag(const wasm_functype_t *params, std::string module,
                        const wasm_name_t *name) {
  ExternDesc desc;
  desc.kind = ExternKind::tag;
  desc.module = std::move(module);
  desc.name.assign(name->data, name->size);
  // A tag has parameters only; FuncSig's notation renders them as "(iI)".
  desc.signature = funcsig_of(params).text();
  return desc;
}

} // namespace hb_beamr
