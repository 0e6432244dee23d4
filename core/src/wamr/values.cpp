// The WAMR adapter's values: what may cross the host boundary, and the
// 32-bit cells wasm_export.h passes them in.
#include <cstring>

#include "type_description.hpp"
#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

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

} // namespace hb_beamr::engine
