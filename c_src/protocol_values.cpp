// Conversion between Erlang values and WebAssembly values, and the reply
// encodings built from them. See protocol.hpp.
#include "protocol.hpp"

#include <cfloat>
#include <cmath>
#include <limits>

namespace hb_beamr::driver {
namespace {

float to_f32(double d) {
  // Round to nearest, as IEEE conversion does; spelled out because a double
  // outside float's range is undefined behaviour in a C++ cast.
  constexpr double kOverflow = 340282356779733661637539395458142568448.0;
  if (std::isnan(d))
    return std::numeric_limits<float>::quiet_NaN();
  if (d >= kOverflow)
    return std::numeric_limits<float>::infinity();
  if (d <= -kOverflow)
    return -std::numeric_limits<float>::infinity();
  if (d > FLT_MAX)
    return FLT_MAX;
  if (d < -FLT_MAX)
    return -FLT_MAX;
  return static_cast<float>(d);
}

// The value as a double, for float parameters.
bool as_double(const Value &v, double &out) {
  switch (v.kind) {
  case Value::Kind::integer:
    out = v.big ? static_cast<double>(v.u) : static_cast<double>(v.i);
    return true;
  case Value::Kind::real: out = v.real; return true;
  case Value::Kind::nan:
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  case Value::Kind::infinity:
    out = std::numeric_limits<double>::infinity();
    return true;
  case Value::Kind::neg_infinity:
    out = -std::numeric_limits<double>::infinity();
    return true;
  default: return false;
  }
}

void encode_float(TermBuffer &term, double d) {
  if (std::isnan(d))
    term.atom("nan");
  else if (std::isinf(d))
    term.atom(d > 0 ? "infinity" : "neg_infinity");
  else
    term.real(d);
}

} // namespace

bool to_wasm_values(const std::vector<Value> &values,
                    const std::vector<ValType> &types,
                    std::vector<wasm_val_t> &out) {
  out.clear();
  if (values.size() != types.size())
    return false;
  out.reserve(types.size());
  for (size_t k = 0; k < types.size(); ++k) {
    const Value &v = values[k];
    wasm_val_t w = zero_value(types[k]);
    switch (types[k]) {
    case ValType::i32:
      if (v.kind != Value::Kind::integer || v.big)
        return false;
      if (v.i < std::numeric_limits<int32_t>::min() ||
          v.i > int64_t{std::numeric_limits<uint32_t>::max()}) {
        return false;
      }
      w.of.i32 = static_cast<int32_t>(static_cast<uint32_t>(v.i));
      break;
    case ValType::i64:
      if (v.kind != Value::Kind::integer)
        return false;
      w.of.i64 = v.big ? static_cast<int64_t>(v.u) : v.i;
      break;
    case ValType::f32: {
      double d = 0;
      if (!as_double(v, d))
        return false;
      w.of.f32 = to_f32(d);
      break;
    }
    case ValType::f64: {
      double d = 0;
      if (!as_double(v, d))
        return false;
      w.of.f64 = d;
      break;
    }
    case ValType::funcref:
    case ValType::externref:
      if (v.kind != Value::Kind::null_ref)
        return false;
      w.of.ref = nullptr;
      break;
    case ValType::v128:
    default: return false; // no Erlang representation
    }
    out.push_back(w);
  }
  return true;
}

void encode_values(TermBuffer &term, const wasm_val_t *values,
                   const std::vector<ValType> &types) {
  term.list(static_cast<int>(types.size()));
  for (size_t k = 0; k < types.size(); ++k) {
    const wasm_val_t &v = values[k];
    switch (types[k]) {
    case ValType::i32: term.integer(v.of.i32); break;
    case ValType::i64: term.integer(v.of.i64); break;
    case ValType::f32: encode_float(term, static_cast<double>(v.of.f32)); break;
    case ValType::f64: encode_float(term, v.of.f64); break;
    case ValType::funcref:
    case ValType::externref:
      term.atom(v.of.ref == nullptr ? "null" : "ref");
      break;
    case ValType::v128:
    default: term.atom("v128"); break;
    }
  }
  term.nil();
}

void encode_externs(TermBuffer &term, const std::vector<ExternDesc> &externs,
                    bool with_module) {
  term.list(static_cast<int>(externs.size()));
  for (const ExternDesc &e : externs) {
    term.tuple(with_module ? 4 : 3).atom(extern_kind_name(e.kind));
    if (with_module)
      term.string(e.module);
    term.string(e.name).string(e.signature);
  }
  term.nil();
}

void encode_core_error(TermBuffer &term, const Error &error) {
  term.tuple(2)
      .atom("error")
      .tuple(2)
      .atom(error_kind_name(error.kind))
      .binary(error.message);
}

void encode_error_atom(TermBuffer &term, const char *reason) {
  term.tuple(2).atom("error").atom(reason);
}

} // namespace hb_beamr::driver
