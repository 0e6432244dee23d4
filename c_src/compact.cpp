// The compact encoding; see compact.hpp.
#include "compact.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace hb_beamr::driver {
namespace {

constexpr size_t kValueSize = 9;

uint64_t read_be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

uint32_t read_be32(const unsigned char *p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void put_value(std::vector<char> &out, wire::ValueCode code, uint64_t payload) {
  out.push_back(static_cast<char>(wire::byte(code)));
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((payload >> shift) & 0xff));
}

void put_float(std::vector<char> &out, double d) {
  if (std::isnan(d))
    return put_value(out, wire::ValueCode::nan, 0);
  if (std::isinf(d))
    return put_value(
        out, d > 0 ? wire::ValueCode::infinity : wire::ValueCode::neg_infinity,
        0);
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  put_value(out, wire::ValueCode::real, bits);
}

bool read_values(const unsigned char *p, size_t len,
                 std::vector<Value> &values) {
  if (len % kValueSize != 0)
    return false;
  values.resize(len / kValueSize);
  for (Value &v : values) {
    const uint64_t payload = read_be64(p + 1);
    switch (static_cast<wire::ValueCode>(p[0])) {
    case wire::ValueCode::integer:
      v.kind = Value::Kind::integer;
      v.i = static_cast<int64_t>(payload);
      break;
    case wire::ValueCode::uinteger:
      v.kind = Value::Kind::integer;
      v.big = true;
      v.u = payload;
      break;
    case wire::ValueCode::real:
      v.kind = Value::Kind::real;
      std::memcpy(&v.real, &payload, sizeof v.real);
      break;
    case wire::ValueCode::nan: v.kind = Value::Kind::nan; break;
    case wire::ValueCode::infinity: v.kind = Value::Kind::infinity; break;
    case wire::ValueCode::neg_infinity:
      v.kind = Value::Kind::neg_infinity;
      break;
    case wire::ValueCode::null: v.kind = Value::Kind::null_ref; break;
    case wire::ValueCode::invalid: v.kind = Value::Kind::other; break;
    default: return false; // ref is never an argument
    }
    p += kValueSize;
  }
  return true;
}

} // namespace

bool decode_compact_call(const char *buf, size_t len, Command &command) {
  const auto *p = reinterpret_cast<const unsigned char *>(buf);
  if (len < 9)
    return false;
  cmd::Call &out = command.request.emplace<cmd::Call>();
  out.timeout_ms = read_be64(p + 1);
  if (out.timeout_ms > wire::kMaxTimeoutMs)
    out.timeout_ms = 0;
  if (p[0] == wire::byte(wire::CompactCode::call)) {
    if (len < 13)
      return false;
    const size_t name_len = read_be32(p + 9);
    if (name_len > len - 13)
      return false;
    out.name.assign(buf + 13, name_len);
    return read_values(p + 13 + name_len, len - 13 - name_len, out.args);
  }
  if (p[0] == wire::byte(wire::CompactCode::indirect)) {
    if (len < 17)
      return false;
    out.indirect = true;
    out.index = read_be64(p + 9);
    return read_values(p + 17, len - 17, out.args);
  }
  return false;
}

namespace {
void put_values(std::vector<char> &out, const wasm_val_t *values,
                const std::vector<ValType> &types) {
  out.reserve(out.size() + types.size() * kValueSize);
  for (size_t k = 0; k < types.size(); ++k) {
    const wasm_val_t &v = values[k];
    switch (types[k]) {
    case ValType::i32:
      put_value(out, wire::ValueCode::integer,
                static_cast<uint64_t>(int64_t{v.of.i32}));
      break;
    case ValType::i64:
      put_value(out, wire::ValueCode::integer, static_cast<uint64_t>(v.of.i64));
      break;
    case ValType::f32: put_float(out, static_cast<double>(v.of.f32)); break;
    case ValType::f64: put_float(out, v.of.f64); break;
    case ValType::funcref:
    case ValType::externref:
      put_value(out,
                v.of.ref == nullptr ? wire::ValueCode::null
                                    : wire::ValueCode::ref,
                0);
      break;
    case ValType::v128:
    default: put_value(out, wire::ValueCode::invalid, 0); break;
    }
  }
}
} // namespace

void encode_compact_results(std::vector<char> &out, const wasm_val_t *values,
                            const std::vector<ValType> &types) {
  out.push_back(static_cast<char>(wire::byte(wire::ReplyMarker::results)));
  put_values(out, values, types);
}

void encode_compact_import(std::vector<char> &out, uint32_t index,
                           const wasm_val_t *args,
                           const std::vector<ValType> &types) {
  out.push_back(static_cast<char>(wire::byte(wire::ReplyMarker::import)));
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((index >> shift) & 0xff));
  put_values(out, args, types);
}

bool decode_compact_answer(const char *buf, size_t len, Command &command) {
  if (!is_compact_answer(buf, len))
    return false;
  if (static_cast<unsigned char>(buf[0]) ==
      wire::byte(wire::CompactCode::reject)) {
    cmd::ImportAnswer &out = command.request.emplace<cmd::ImportAnswer>();
    out.trap = true;
    out.message.assign(buf + 1, buf + len);
    return true;
  }
  cmd::ImportAnswer &out = command.request.emplace<cmd::ImportAnswer>();
  return read_values(reinterpret_cast<const unsigned char *>(buf) + 1, len - 1,
                     out.results);
}

} // namespace hb_beamr::driver
