// The Wasmtime adapter's conversions: value types, values and messages
// between wasm.h's vocabulary and wasmtime.h's, and traps.
#include <cstring>

#include "type_description.hpp"
#include "wasmtime/adapter.hpp"

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

static bool is_null_ref(const wasmtime_val_t &v) {
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
