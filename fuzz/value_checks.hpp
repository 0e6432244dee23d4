// What the fuzz targets do with decoded values: convert them against a few
// signatures as calls and import answers are, and check that converted
// values survive the compact encoding's round trip. Shared by every codec
// target, so each reaches the conversions whatever encoding it decodes.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "commands.hpp"
#include "compact.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver::fuzz {

/// Stops the run like a sanitizer would: libFuzzer keeps the input.
[[noreturn]] inline void fail() { std::abort(); }

/// Whether two converted values of `type` are the same value (any NaN
/// equals any NaN: the wire has one nan).
inline bool same_value(ValType type, const wasm_val_t &a, const wasm_val_t &b) {
  switch (type) {
  case ValType::i32: return a.of.i32 == b.of.i32;
  case ValType::i64: return a.of.i64 == b.of.i64;
  case ValType::f32:
    return std::isnan(a.of.f32) ? std::isnan(b.of.f32)
                                : std::memcmp(&a.of.f32, &b.of.f32, 4) == 0;
  case ValType::f64:
    return std::isnan(a.of.f64) ? std::isnan(b.of.f64)
                                : std::memcmp(&a.of.f64, &b.of.f64, 8) == 0;
  case ValType::funcref:
  case ValType::externref: return a.of.ref == b.of.ref;
  default: return true;
  }
}

/// Encodes `converted` as compact results, decodes them as a compact answer
/// (the same value layout) and converts them again: each value must come
/// back unchanged, since Erlang hands results back as import answers.
inline void check_compact_round_trip(const std::vector<wasm_val_t> &converted,
                                     const std::vector<ValType> &types) {
  std::vector<char> encoded;
  encode_compact_results(encoded, converted.data(), types);
  encoded[0] = static_cast<char>(wire::byte(wire::CompactCode::answer));
  Command again;
  if (!decode_compact_answer(encoded.data(), encoded.size(), again))
    fail();
  const auto *answer = again.as<cmd::ImportAnswer>();
  std::vector<wasm_val_t> back;
  if (answer == nullptr || !to_wasm_values(answer->results, types, back))
    fail();
  for (size_t k = 0; k < types.size(); ++k)
    if (!same_value(types[k], converted[k], back[k]))
      fail();
}

/// The signature a value list most plausibly meets: integers as i64,
/// floats and their atoms as f64, null as externref; other as i32 (which
/// must then be refused).
inline std::vector<ValType> natural_types(const std::vector<Value> &values) {
  std::vector<ValType> types;
  for (const Value &v : values) {
    switch (v.kind) {
    case Value::Kind::integer: types.push_back(ValType::i64); break;
    case Value::Kind::real:
    case Value::Kind::nan:
    case Value::Kind::infinity:
    case Value::Kind::neg_infinity: types.push_back(ValType::f64); break;
    case Value::Kind::null_ref: types.push_back(ValType::externref); break;
    case Value::Kind::other: types.push_back(ValType::i32); break;
    }
  }
  return types;
}

/// Converts `values` against fixed signatures of every value type and
/// against their natural one, as arguments and as an import's results;
/// checks each success round-trips and that import_answer agrees with the
/// conversion it wraps.
inline void exercise_values(const std::vector<Value> &values) {
  static const std::vector<std::vector<ValType>> fixed = {
      {},
      {ValType::i32},
      {ValType::i64},
      {ValType::f32},
      {ValType::f64},
      {ValType::funcref},
      {ValType::externref},
      {ValType::i32, ValType::i64},
      {ValType::f32, ValType::f64},
      {ValType::i32, ValType::i64, ValType::f32, ValType::f64},
  };
  std::vector<std::vector<ValType>> signatures = fixed;
  signatures.push_back(natural_types(values));
  for (const auto &types : signatures) {
    std::vector<wasm_val_t> converted;
    const bool ok = to_wasm_values(values, types, converted);
    if (ok && converted.size() != types.size())
      fail();
    if (ok)
      check_compact_round_trip(converted, types);

    ExternDesc import;
    import.module = "env";
    import.name = "f";
    import.func.results = types;
    cmd::ImportAnswer answer;
    answer.results = values;
    std::vector<wasm_val_t> results;
    if (static_cast<bool>(import_answer(answer, import, results)) != ok)
      fail();
  }
}

/// What every target does with a decoded import answer: a trap carries its
/// message unchanged, results are exercised.
inline void exercise_answer(const cmd::ImportAnswer &answer) {
  if (!answer.trap)
    return exercise_values(answer.results);
  ExternDesc import;
  std::vector<wasm_val_t> results;
  const Status status = import_answer(answer, import, results);
  if (status || status.error().message != answer.message)
    fail();
}

} // namespace hb_beamr::driver::fuzz
