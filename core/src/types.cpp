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

namespace {

// A bounds-checked reader over a module binary. Errors are sticky: after the
// first, every read returns 0 and ok() stays false.
class BinaryReader {
public:
  BinaryReader(const uint8_t *data, size_t size)
      : pos_(data), end_(data + size) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  void fail() {
    ok_ = false;
    pos_ = end_;
  }

  uint8_t byte() {
    if (pos_ == end_) {
      fail();
      return 0;
    }
    return *pos_++;
  }
  uint8_t peek() const { return pos_ == end_ ? 0 : *pos_; }

  void skip(size_t n) {
    if (remaining() < n)
      fail();
    else
      pos_ += n;
  }

  /// An unsigned LEB128 of at most `bits` bits (32 or 64).
  uint64_t u(unsigned bits) {
    uint64_t value = 0;
    for (unsigned n = 0, shift = 0; n < (bits + 6) / 7; ++n, shift += 7) {
      uint64_t b = byte();
      if (shift > 0 && ((b & 0x7f) >> (64 - shift)) != 0)
        break; // more bits than a u64 holds
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (bits < 64 && (value >> bits) != 0)
          break;
        return ok_ ? value : 0;
      }
    }
    fail();
    return 0;
  }

  /// Skips a signed LEB128 of at most `bits` bits.
  void skip_signed(unsigned bits) {
    for (unsigned n = 0; n < (bits + 6) / 7; ++n)
      if ((byte() & 0x80) == 0)
        return;
    fail();
  }

  /// A sub-reader over the next `n` bytes, which this reader skips.
  BinaryReader take(size_t n) {
    if (remaining() < n) {
      fail();
      return BinaryReader(end_, 0);
    }
    BinaryReader sub(pos_, n);
    pos_ += n;
    return sub;
  }

private:
  const uint8_t *pos_;
  const uint8_t *end_;
  bool ok_ = true;
};

// Binary encodings (the spec's, with the reference-types, GC, exceptions,
// memory64, custom-page-sizes and shared-everything additions).
constexpr uint8_t ref_null_prefix = 0x63; // (ref null ht)
constexpr uint8_t ref_prefix = 0x64;      // (ref ht)
constexpr uint8_t shared_prefix = 0x65;   // (shared absheaptype)

void skip_heap_type(BinaryReader &r) {
  if (r.peek() == shared_prefix) {
    r.skip(2);
    return;
  }
  r.skip_signed(33); // an abstract type (negative) or a type index
}

void skip_val_type(BinaryReader &r) {
  uint8_t b = r.byte();
  if (b == ref_null_prefix || b == ref_prefix)
    skip_heap_type(r); // every other value type is its single byte
}

TableLimits read_table_type(BinaryReader &r) {
  skip_val_type(r); // the element type
  TableLimits limits;
  uint8_t flags = r.byte();
  if ((flags & ~uint8_t{0x07}) != 0) // 1: has max, 2: shared, 4: 64-bit
    r.fail();
  unsigned bits = (flags & 0x04) != 0 ? 64 : 32;
  limits.min = r.u(bits);
  limits.has_max = (flags & 0x01) != 0;
  if (limits.has_max)
    limits.max = r.u(bits);
  return limits;
}

void skip_memory_type(BinaryReader &r) {
  uint8_t flags = r.byte();
  if ((flags & ~uint8_t{0x0f}) != 0) // 8: custom page size
    r.fail();
  unsigned bits = (flags & 0x04) != 0 ? 64 : 32;
  r.u(bits);
  if ((flags & 0x01) != 0)
    r.u(bits);
  if ((flags & 0x08) != 0)
    r.u(32);
}

// Skips a constant expression up to and including its `end`. Only the
// instructions valid in a constant expression are known; any other fails.
void skip_const_expr(BinaryReader &r) {
  while (r.ok()) {
    uint8_t op = r.byte();
    switch (op) {
    case 0x0b: return;                   // end
    case 0x41: r.skip_signed(32); break; // i32.const
    case 0x42: r.skip_signed(64); break; // i64.const
    case 0x43: r.skip(4); break;         // f32.const
    case 0x44: r.skip(8); break;         // f64.const
    case 0x23:                           // global.get
    case 0xd2: r.u(32); break;           // ref.func
    case 0xd0: skip_heap_type(r); break; // ref.null
    case 0x6a:
    case 0x6b:
    case 0x6c: // i32.add/sub/mul
    case 0x7c:
    case 0x7d:
    case 0x7e: break; // i64.add/sub/mul
    case 0xfd:        // v128.const
      if (r.u(32) != 12)
        r.fail();
      r.skip(16);
      break;
    case 0xfb:
      switch (r.u(32)) {
      case 0x00:
      case 0x01:
      case 0x06:
      case 0x07: // struct.new(_default),
        r.u(32); // array.new(_default)
        break;
      case 0x08:
        r.u(32);
        r.u(32);
        break; // array.new_fixed
      case 0x1a:
      case 0x1b:
      case 0x1c: break; // any/extern.convert, ref.i31
      default: r.fail();
      }
      break;
    default: r.fail();
    }
  }
}

bool fits_u32(const TableLimits &t) {
  return t.min <= UINT32_MAX && (!t.has_max || t.max <= UINT32_MAX);
}

} // namespace

std::optional<BinaryTables> scan_tables(const uint8_t *bytes, size_t size,
                                        std::string *why) {
  constexpr uint8_t header[8] = {0x00, 0x61, 0x73, 0x6d,
                                 0x01, 0x00, 0x00, 0x00};
  BinaryReader r(bytes, size);
  if (size < sizeof header || std::memcmp(bytes, header, sizeof header) != 0) {
    *why = "not a core WebAssembly module";
    return std::nullopt;
  }
  r.skip(sizeof header);
  BinaryTables out;
  std::vector<TableLimits> all; // every table, by table index
  while (r.ok() && !r.at_end()) {
    uint8_t id = r.byte();
    uint64_t length = r.u(32);
    BinaryReader s = r.take(static_cast<size_t>(length));
    if (id != 2 && id != 4 && id != 7) // import, table, export
      continue;
    uint64_t count = s.u(32);
    for (uint64_t i = 0; s.ok() && i < count; ++i) {
      if (id == 2) {
        s.skip(static_cast<size_t>(s.u(32))); // module name
        s.skip(static_cast<size_t>(s.u(32))); // field name
        switch (s.byte()) {
        case 0x00: s.u(32); break; // func: type index
        case 0x01:
          all.push_back(read_table_type(s));
          out.imported.push_back(all.back());
          break;
        case 0x02: skip_memory_type(s); break;
        case 0x03: // global: value type, mutability
          skip_val_type(s);
          s.byte();
          break;
        case 0x04: // tag: attribute, type index
          s.byte();
          s.u(32);
          break;
        default: s.fail();
        }
      } else if (id == 4) {
        bool with_init = s.peek() == 0x40; // 0x40 0x00 tabletype expr
        if (with_init) {
          s.skip(1);
          if (s.byte() != 0x00)
            s.fail();
        }
        all.push_back(read_table_type(s));
        if (with_init)
          skip_const_expr(s);
      } else {
        s.skip(static_cast<size_t>(s.u(32))); // name
        uint8_t kind = s.byte();
        uint64_t index = s.u(32);
        if (kind != 0x01)
          continue;
        if (index >= all.size()) {
          s.fail();
          break;
        }
        out.exported.push_back(all[index]);
      }
    }
    if (!s.ok() || !s.at_end()) {
      *why = "cannot read section " + std::to_string(id);
      return std::nullopt;
    }
  }
  if (!r.ok()) {
    *why = "truncated section";
    return std::nullopt;
  }
  for (const std::vector<TableLimits> *list : {&out.imported, &out.exported})
    for (const TableLimits &t : *list)
      out.wide = out.wide || !fits_u32(t);
  return out;
}

} // namespace hb_beamr
