// Decoding of commands and encoding of replies. See protocol.hpp.
#include "protocol.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace hb_beamr::driver {
namespace {

constexpr unsigned char kVersionMagic = 131;
// Deeper terms than this are refused: commands are at most three levels deep
// and tags are references, so this only bounds the validator's recursion.
constexpr int kMaxDepth = 64;

uint32_t be16(const unsigned char *p) {
  return (static_cast<uint32_t>(p[0]) << 8) | p[1];
}
uint32_t be32(const unsigned char *p) {
  return (static_cast<uint32_t>(p[0]) << 24) |
         (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// Walks the term at `pos` without ei (which trusts its input), checking that
// every header and payload lies inside [0, len). On success `pos` is just past
// the term. Once a whole command has passed this, ei's decoders cannot read
// out of bounds.
class Validator {
public:
  Validator(const unsigned char *buf, size_t len) : buf_(buf), len_(len) {}

  bool term(size_t &pos, int depth) {
    if (depth > kMaxDepth || !have(pos, 1))
      return false;
    const unsigned char tag = buf_[pos];
    switch (tag) {
    case ERL_SMALL_INTEGER_EXT: return skip(pos, 2);
    case ERL_INTEGER_EXT: return skip(pos, 5);
    case NEW_FLOAT_EXT: return skip(pos, 9);
    case ERL_FLOAT_EXT: return skip(pos, 32);
    case ERL_NIL_EXT: return skip(pos, 1);
    case ERL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
      return have(pos, 3) && skip(pos, 3 + size_t{be16(buf_ + pos + 1)});
    case ERL_SMALL_ATOM_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT:
      return have(pos, 2) && skip(pos, 2 + size_t{buf_[pos + 1]});
    case ERL_STRING_EXT:
      return have(pos, 3) && skip(pos, 3 + size_t{be16(buf_ + pos + 1)});
    case ERL_BINARY_EXT:
      return have(pos, 5) && skip(pos, 5 + size_t{be32(buf_ + pos + 1)});
    case ERL_SMALL_BIG_EXT:
      return have(pos, 2) && skip(pos, 3 + size_t{buf_[pos + 1]});
    case ERL_LARGE_BIG_EXT:
      return have(pos, 5) && skip(pos, 6 + size_t{be32(buf_ + pos + 1)});
    case ERL_SMALL_TUPLE_EXT:
      return have(pos, 2) && elements(pos, 2, buf_[pos + 1], depth);
    case ERL_LARGE_TUPLE_EXT:
      return have(pos, 5) && elements(pos, 5, be32(buf_ + pos + 1), depth);
    case ERL_LIST_EXT:
      // n elements and then the tail.
      return have(pos, 5) &&
             elements(pos, 5, size_t{be32(buf_ + pos + 1)} + 1, depth);
    case ERL_MAP_EXT:
      return have(pos, 5) &&
             elements(pos, 5, size_t{be32(buf_ + pos + 1)} * 2, depth);
    case ERL_NEWER_REFERENCE_EXT: {
      if (!have(pos, 3))
        return false;
      const size_t words = be16(buf_ + pos + 1);
      pos += 3;
      return atom_term(pos, depth) && skip(pos, 4 + 4 * words);
    }
    case ERL_NEW_REFERENCE_EXT: {
      if (!have(pos, 3))
        return false;
      const size_t words = be16(buf_ + pos + 1);
      pos += 3;
      return atom_term(pos, depth) && skip(pos, 1 + 4 * words);
    }
    case ERL_NEW_PID_EXT: ++pos; return atom_term(pos, depth) && skip(pos, 12);
    case ERL_PID_EXT: ++pos; return atom_term(pos, depth) && skip(pos, 9);
    case ERL_NEW_PORT_EXT: ++pos; return atom_term(pos, depth) && skip(pos, 8);
    case ERL_PORT_EXT: ++pos; return atom_term(pos, depth) && skip(pos, 5);
    case ERL_V4_PORT_EXT: ++pos; return atom_term(pos, depth) && skip(pos, 12);
    default: return false; // funs, bit strings, ...: never part of a command
    }
  }

private:
  bool have(size_t pos, size_t n) const {
    return pos <= len_ && n <= len_ - pos;
  }
  bool skip(size_t &pos, size_t n) {
    if (!have(pos, n))
      return false;
    pos += n;
    return true;
  }
  bool elements(size_t &pos, size_t header, size_t count, int depth) {
    if (!skip(pos, header))
      return false;
    // Every element takes at least one byte, so a count larger than what is
    // left is malformed; this also bounds the loop.
    if (count > len_ - pos)
      return false;
    for (size_t k = 0; k < count; ++k) {
      if (!term(pos, depth + 1))
        return false;
    }
    return true;
  }
  bool atom_term(size_t &pos, int depth) {
    if (!have(pos, 1))
      return false;
    const unsigned char tag = buf_[pos];
    if (tag != ERL_ATOM_EXT && tag != ERL_ATOM_UTF8_EXT &&
        tag != ERL_SMALL_ATOM_EXT && tag != ERL_SMALL_ATOM_UTF8_EXT) {
      return false;
    }
    return term(pos, depth + 1);
  }

  const unsigned char *buf_;
  size_t len_;
};

// ei's decoders on a validated buffer. Each returns false instead of a
// negative ei code.
class Reader {
public:
  explicit Reader(const char *buf) : buf_(buf) {}

  int type() const {
    int type = 0;
    int size = 0;
    int index = index_;
    if (ei_get_type(buf_, &index, &type, &size) < 0)
      return -1;
    return type;
  }
  int type_size() const {
    int type = 0;
    int size = 0;
    int index = index_;
    if (ei_get_type(buf_, &index, &type, &size) < 0)
      return -1;
    return size;
  }
  bool version() {
    int version = 0;
    return ei_decode_version(buf_, &index_, &version) == 0;
  }
  bool tuple(int &arity) {
    return ei_decode_tuple_header(buf_, &index_, &arity) == 0;
  }
  bool list(int &arity) {
    return type() == ERL_LIST_EXT &&
           ei_decode_list_header(buf_, &index_, &arity) == 0 && arity >= 0;
  }
  bool atom(std::string &out) {
    const int t = type();
    if (t != ERL_ATOM_EXT && t != ERL_SMALL_ATOM_EXT &&
        t != ERL_ATOM_UTF8_EXT && t != ERL_SMALL_ATOM_UTF8_EXT) {
      return false;
    }
    const int size = type_size();
    if (size < 0)
      return false;
    // Room for the NUL and for a latin-1 atom growing in UTF-8.
    std::vector<char> text(static_cast<size_t>(size) * 2 + 1);
    if (ei_decode_atom_as(buf_, &index_, text.data(),
                          static_cast<int>(text.size()), ERLANG_UTF8, nullptr,
                          nullptr) < 0) {
      return false;
    }
    out.assign(text.data());
    return true;
  }
  bool skip() { return ei_skip_term(buf_, &index_) == 0; }
  bool binary(std::vector<uint8_t> &out) {
    if (type() != ERL_BINARY_EXT)
      return false;
    const int size = type_size();
    if (size < 0)
      return false;
    out.resize(static_cast<size_t>(size));
    long length = 0;
    if (ei_decode_binary(buf_, &index_, out.empty() ? nullptr : out.data(),
                         &length) < 0) {
      return false;
    }
    return length == size;
  }
  bool binary_text(std::string &out) {
    std::vector<uint8_t> bytes;
    if (!binary(bytes))
      return false;
    out.assign(bytes.begin(), bytes.end());
    return true;
  }
  bool is_integer() const {
    const int t = type();
    return t == ERL_SMALL_INTEGER_EXT || t == ERL_INTEGER_EXT ||
           t == ERL_SMALL_BIG_EXT || t == ERL_LARGE_BIG_EXT;
  }
  bool unsigned64(uint64_t &out) {
    if (!is_integer())
      return false;
    unsigned long long value = 0;
    if (ei_decode_ulonglong(buf_, &index_, &value) < 0)
      return false;
    out = value;
    return true;
  }
  bool value(Value &out) {
    out = Value{};
    const int t = type();
    if (is_integer()) {
      int at = index_;
      long long s = 0;
      if (ei_decode_longlong(buf_, &at, &s) == 0) {
        out.kind = Value::Kind::integer;
        out.i = s;
        index_ = at;
        return true;
      }
      at = index_;
      unsigned long long u = 0;
      if (ei_decode_ulonglong(buf_, &at, &u) == 0) {
        out.kind = Value::Kind::integer;
        out.big = true;
        out.u = u;
        index_ = at;
        return true;
      }
      return skip(); // outside 64 bits: Kind::other
    }
    if (t == ERL_FLOAT_EXT || t == NEW_FLOAT_EXT) {
      double d = 0;
      if (ei_decode_double(buf_, &index_, &d) < 0)
        return false;
      out.kind = Value::Kind::real;
      out.real = d;
      return true;
    }
    if (t == ERL_ATOM_EXT || t == ERL_SMALL_ATOM_EXT ||
        t == ERL_ATOM_UTF8_EXT || t == ERL_SMALL_ATOM_UTF8_EXT) {
      std::string name;
      if (!atom(name))
        return false;
      if (name == "nan")
        out.kind = Value::Kind::nan;
      else if (name == "infinity")
        out.kind = Value::Kind::infinity;
      else if (name == "neg_infinity")
        out.kind = Value::Kind::neg_infinity;
      else if (name == "null")
        out.kind = Value::Kind::null_ref;
      return true;
    }
    return skip(); // Kind::other
  }
  // A proper list of values. Lists of small integers arrive as strings.
  bool values(std::vector<Value> &out) {
    out.clear();
    const int t = type();
    if (t == ERL_NIL_EXT)
      return skip();
    if (t == ERL_STRING_EXT) {
      const int size = type_size();
      if (size < 0)
        return false;
      std::vector<char> bytes(static_cast<size_t>(size) + 1);
      if (ei_decode_string(buf_, &index_, bytes.data()) < 0)
        return false;
      for (int k = 0; k < size; ++k) {
        Value v;
        v.kind = Value::Kind::integer;
        v.i = static_cast<unsigned char>(bytes[static_cast<size_t>(k)]);
        out.push_back(v);
      }
      return true;
    }
    if (t != ERL_LIST_EXT)
      return false;
    int arity = 0;
    if (ei_decode_list_header(buf_, &index_, &arity) < 0)
      return false;
    for (int k = 0; k < arity; ++k) {
      Value v;
      if (!value(v))
        return false;
      out.push_back(v);
    }
    if (type() != ERL_NIL_EXT)
      return false; // improper list
    return skip();
  }

  // An atom that is `true` or `false`.
  bool boolean(bool &out) {
    std::string name;
    if (!atom(name))
      return false;
    if (name != "true" && name != "false")
      return false;
    out = name == "true";
    return true;
  }
  bool map(int &arity) {
    return type() == ERL_MAP_EXT &&
           ei_decode_map_header(buf_, &index_, &arity) == 0 && arity >= 0;
  }

  int index() const { return index_; }

private:
  const char *buf_;
  int index_ = 0;
};

void make_tag(const char *buf, int start, int end, Tag &out) {
  out.clear();
  out.push_back(static_cast<char>(kVersionMagic));
  out.insert(out.end(), buf + start, buf + end);
}

// A proper list, each element read by `element`.
template <typename F> bool list_of(Reader &in, F element) {
  if (in.type() == ERL_NIL_EXT)
    return in.skip();
  int arity = 0;
  if (!in.list(arity))
    return false;
  for (int k = 0; k < arity; ++k) {
    if (!element())
      return false;
  }
  return in.type() == ERL_NIL_EXT && in.skip();
}

// capture | discard | a pid (the pid itself is the instance process's
// business: it forwards what the driver sends it).
bool decode_output_mode(Reader &in, OutputMode &out) {
  if (in.type() == ERL_NEW_PID_EXT || in.type() == ERL_PID_EXT) {
    out = OutputMode::send;
    return in.skip();
  }
  std::string name;
  if (!in.atom(name))
    return false;
  out = name == "capture" ? OutputMode::capture : OutputMode::discard;
  return name == "capture" || name == "discard";
}

// {Args, Env, Stdin, Stdout, Stderr, OutputLimit, Seed | none}
bool decode_wasi(Reader &in, WasiSpec &out) {
  int arity = 0;
  if (in.type() != ERL_SMALL_TUPLE_EXT || !in.tuple(arity) || arity != 7)
    return false;
  const bool lists =
      list_of(in, [&] { return in.binary_text(out.args.emplace_back()); }) &&
      list_of(in, [&] {
        int pair = 0;
        auto &[name, value] = out.env.emplace_back();
        return in.type() == ERL_SMALL_TUPLE_EXT && in.tuple(pair) &&
               pair == 2 && in.binary_text(name) && in.binary_text(value);
      });
  if (!lists || !in.binary_text(out.stdin_data) ||
      !decode_output_mode(in, out.stdout_mode) ||
      !decode_output_mode(in, out.stderr_mode) ||
      !in.unsigned64(out.output_limit))
    return false;
  if (in.is_integer())
    return out.seeded = in.unsigned64(out.seed);
  std::string none;
  return in.atom(none) && none == "none";
}

// A memory or table limit: a number (0: the default), or `infinity` to lift
// the default.
bool decode_limit(Reader &in, uint64_t &out) {
  if (in.is_integer())
    return in.unsigned64(out);
  std::string name;
  if (!in.atom(name) || name != "infinity")
    return false;
  out = ContextOptions::kNoLimit;
  return true;
}

// init's options map. Every key must be known and appear once (a map has no
// duplicates); a missing key keeps its default.
bool decode_options(Reader &in, ContextOptions &out,
                    std::optional<WasiSpec> &wasi) {
  int arity = 0;
  if (!in.map(arity))
    return false;
  for (int k = 0; k < arity; ++k) {
    std::string key;
    if (!in.atom(key))
      return false;
    bool ok = false;
    if (key == "max_memory")
      ok = decode_limit(in, out.max_memory_bytes);
    else if (key == "max_table_elements")
      ok = decode_limit(in, out.max_table_elements);
    else if (key == "fuel")
      ok = in.unsigned64(out.fuel_per_call);
    else if (key == "max_stack")
      ok = in.unsigned64(out.max_stack_bytes);
    else if (key == "deterministic")
      ok = in.boolean(out.deterministic);
    else if (key == "wasi")
      ok = decode_wasi(in, wasi.emplace());
    if (!ok)
      return false;
  }
  return true;
}

// A call's time limit: milliseconds or `infinity` (0).
bool decode_timeout(Reader &in, uint64_t &out) {
  if (in.is_integer()) {
    if (!in.unsigned64(out))
      return false;
    if (out > wire::kMaxTimeoutMs)
      out = 0;
    return true;
  }
  std::string name;
  if (!in.atom(name) || name != "infinity")
    return false;
  out = 0;
  return true;
}

bool decode_call(Reader &in, int arity, bool indirect, Request &out) {
  cmd::Call &call = out.emplace<cmd::Call>();
  call.indirect = indirect;
  const bool target =
      indirect ? in.unsigned64(call.index) : in.binary_text(call.name);
  return target && in.values(call.args) &&
         (arity == 4 || decode_timeout(in, call.timeout_ms));
}

bool decode_init(Reader &in, int arity, Request &out) {
  cmd::Init &init = out.emplace<cmd::Init>();
  std::string mode;
  if (!in.binary(init.wasm) || !in.atom(mode))
    return false;
  if (mode != "wasm" && mode != "aot")
    return false;
  init.precompiled = mode == "aot";
  return arity == 4 || decode_options(in, init.options, init.wasi);
}

bool decode_answer(Reader &in, bool trap, Request &out) {
  cmd::ImportAnswer &answer = out.emplace<cmd::ImportAnswer>();
  answer.trap = trap;
  return trap ? in.binary_text(answer.message) : in.values(answer.results);
}

// A command with no argument but its tag.
template <typename T> bool bare(Request &out) {
  out.emplace<T>();
  return true;
}

bool decode_body(Reader &in, const std::string &op, int arity, Request &out) {
  if (op == "init" && (arity == 4 || arity == 5))
    return decode_init(in, arity, out);
  if (op == "compile" && arity == 3)
    return in.binary(out.emplace<cmd::Compile>().wasm);
  if ((op == "call" || op == "indirect_call") && (arity == 4 || arity == 5))
    return decode_call(in, arity, op == "indirect_call", out);
  if ((op == "import_response" || op == "import_error") && arity == 3)
    return decode_answer(in, op == "import_error", out);
  if (op == "read" && arity == 4) {
    cmd::Read &read = out.emplace<cmd::Read>();
    return in.unsigned64(read.offset) && in.unsigned64(read.length);
  }
  if (op == "write" && arity == 4) {
    cmd::Write &write = out.emplace<cmd::Write>();
    return in.unsigned64(write.offset) && in.binary(write.data);
  }
  if (op == "read_output" && arity == 3) {
    std::string stream;
    cmd::ReadOutput &read = out.emplace<cmd::ReadOutput>();
    read.stderr_stream = in.atom(stream) && stream == "stderr";
    return stream == "stdout" || stream == "stderr";
  }
  if (op == "deserialize" && arity == 3)
    return in.binary(out.emplace<cmd::Deserialize>().data);
  if (arity != 2)
    return false;
  if (op == "size")
    return bare<cmd::Size>(out);
  if (op == "serialize")
    return bare<cmd::Serialize>(out);
  if (op == "info")
    return bare<cmd::Info>(out);
  if (op == "ping")
    return bare<cmd::Ping>(out);
  if (op == "cancel")
    return bare<cmd::Cancel>(out);
  return false;
}

} // namespace

// ---- Commands --------------------------------------------------------------

namespace {
bool decode_checked(const char *buf, size_t len, Command &out);
} // namespace

bool decode_command(const char *buf, size_t len, Command &out) {
  out = Command{};
  if (decode_checked(buf, len, out))
    return true;
  // The tag, if it could be read, else 'undefined' (made only here: the
  // fast path decodes a command per call).
  if (out.tag.empty())
    out.tag = undefined_tag();
  return false;
}

namespace {
bool decode_checked(const char *buf, size_t len, Command &out) {
  if (buf == nullptr || len < 2 ||
      len > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      static_cast<unsigned char>(buf[0]) != kVersionMagic) {
    return false;
  }
  size_t end = 1;
  Validator validator(reinterpret_cast<const unsigned char *>(buf), len);
  if (!validator.term(end, 0) || end != len)
    return false;

  Reader in(buf);
  int arity = 0;
  std::string op;
  if (!in.version() || in.type() != ERL_SMALL_TUPLE_EXT || !in.tuple(arity) ||
      arity < 2 || !in.atom(op)) {
    return false;
  }
  const int tag_start = in.index();
  if (!in.skip())
    return false;
  make_tag(buf, tag_start, in.index(), out.tag);
  if (!decode_body(in, op, arity, out.request))
    return false;
  return static_cast<size_t>(in.index()) == len;
}
} // namespace

bool decode_ref_tag(const char *buf, size_t len, Tag &out) {
  if (buf == nullptr || len < 2 ||
      len > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      static_cast<unsigned char>(buf[0]) != kVersionMagic)
    return false;
  size_t end = 1;
  Validator validator(reinterpret_cast<const unsigned char *>(buf), len);
  if (!validator.term(end, 0) || end != len)
    return false;
  int index = 0;
  int version = 0;
  erlang_ref ref;
  if (ei_decode_version(buf, &index, &version) != 0 ||
      ei_decode_ref(buf, &index, &ref) != 0 ||
      static_cast<size_t>(index) != len)
    return false;
  out.assign(buf, buf + len);
  return true;
}

} // namespace hb_beamr::driver
