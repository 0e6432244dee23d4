// The decoders of both encodings (external terms and compact) and the
// encodings the fast path replies with.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "compact.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {
namespace {

std::vector<char> be64(uint64_t v) {
  std::vector<char> out;
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  return out;
}

void append(std::vector<char> &out, const std::vector<char> &more) {
  out.insert(out.end(), more.begin(), more.end());
}

std::vector<char> value(wire::ValueCode code, uint64_t payload) {
  std::vector<char> out{static_cast<char>(wire::byte(code))};
  append(out, be64(payload));
  return out;
}

std::vector<char> compact_call(const std::string &name, uint64_t timeout) {
  std::vector<char> out{static_cast<char>(wire::byte(wire::CompactCode::call))};
  append(out, be64(timeout));
  const auto n = static_cast<uint32_t>(name.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

TEST(Compact, DecodesACallWithItsValues) {
  std::vector<char> buf = compact_call("fac", 250);
  append(buf, value(wire::ValueCode::integer, static_cast<uint64_t>(-3)));
  append(buf, value(wire::ValueCode::nan, 0));
  ASSERT_TRUE(is_compact(buf.data(), buf.size()));
  Command c;
  ASSERT_TRUE(decode_compact_call(buf.data(), buf.size(), c));
  const cmd::Call *call = c.as<cmd::Call>();
  ASSERT_NE(call, nullptr);
  EXPECT_FALSE(call->indirect);
  EXPECT_EQ(call->name, "fac");
  EXPECT_EQ(call->timeout_ms, 250u);
  ASSERT_EQ(call->args.size(), 2u);
  EXPECT_EQ(call->args[0].kind, Value::Kind::integer);
  EXPECT_EQ(call->args[0].i, -3);
  EXPECT_EQ(call->args[1].kind, Value::Kind::nan);
}

TEST(Compact, TimeoutsBeyondTheLimitMeanNone) {
  std::vector<char> buf = compact_call("f", wire::kMaxTimeoutMs + 1);
  Command c;
  ASSERT_TRUE(decode_compact_call(buf.data(), buf.size(), c));
  ASSERT_NE(c.as<cmd::Call>(), nullptr);
  EXPECT_EQ(c.as<cmd::Call>()->timeout_ms, 0u);
}

TEST(Compact, RefusesTruncatedOrUnknownInput) {
  Command c;
  std::vector<char> buf = compact_call("fac", 0);
  EXPECT_FALSE(decode_compact_call(buf.data(), buf.size() - 1, c));
  append(buf, value(wire::ValueCode::integer, 1));
  EXPECT_FALSE(decode_compact_call(buf.data(), buf.size() - 1, c));
  // A reference is a result, never an argument.
  std::vector<char> with_ref = compact_call("fac", 0);
  append(with_ref, value(wire::ValueCode::ref, 0));
  EXPECT_FALSE(decode_compact_call(with_ref.data(), with_ref.size(), c));
  EXPECT_FALSE(decode_compact_call(nullptr, 0, c));
}

TEST(Compact, DecodesBothKindsOfAnswer) {
  const char reject[] = {
      static_cast<char>(wire::byte(wire::CompactCode::reject)), 'n', 'o'};
  Command c;
  ASSERT_TRUE(decode_compact_answer(reject, sizeof reject, c));
  ASSERT_NE(c.as<cmd::ImportAnswer>(), nullptr);
  EXPECT_TRUE(c.as<cmd::ImportAnswer>()->trap);
  EXPECT_EQ(c.as<cmd::ImportAnswer>()->message, "no");
  std::vector<char> ok{
      static_cast<char>(wire::byte(wire::CompactCode::answer))};
  append(ok, value(wire::ValueCode::real, 0));
  ASSERT_TRUE(decode_compact_answer(ok.data(), ok.size(), c));
  const cmd::ImportAnswer *answer = c.as<cmd::ImportAnswer>();
  ASSERT_NE(answer, nullptr);
  EXPECT_FALSE(answer->trap);
  ASSERT_EQ(answer->results.size(), 1u);
  EXPECT_EQ(answer->results[0].kind, Value::Kind::real);
}

TEST(Compact, EncodesResultsBehindTheirMarker) {
  wasm_val_t v[2];
  v[0].kind = WASM_I32;
  v[0].of.i32 = -1;
  v[1].kind = WASM_F64;
  v[1].of.f64 = 2.5;
  std::vector<char> out;
  encode_compact_results(out, v, {ValType::i32, ValType::f64});
  ASSERT_EQ(out.size(), 1u + 2 * 9);
  EXPECT_EQ(out[0], static_cast<char>(wire::byte(wire::ReplyMarker::results)));
  EXPECT_EQ(out[1], static_cast<char>(wire::byte(wire::ValueCode::integer)));
  EXPECT_EQ(std::vector<char>(out.begin() + 2, out.begin() + 10),
            be64(static_cast<uint64_t>(int64_t{-1})));
  EXPECT_EQ(out[10], static_cast<char>(wire::byte(wire::ValueCode::real)));
}

// {call, Tag, <<"fac">>, [5.0], infinity} as term_to_binary makes it.
TermBuffer call_command(const char *tag_atom) {
  TermBuffer t;
  t.tuple(5).atom("call").atom(tag_atom).binary(std::string_view("fac"));
  t.list(1).real(5.0).nil().atom("infinity");
  return t;
}

TEST(Terms, DecodesACallAndItsTag) {
  const TermBuffer t = call_command("t1");
  ASSERT_TRUE(t.ok());
  Command c;
  ASSERT_TRUE(decode_command(t.data(), t.size(), c));
  const cmd::Call *call = c.as<cmd::Call>();
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->name, "fac");
  EXPECT_EQ(call->timeout_ms, 0u);
  ASSERT_EQ(call->args.size(), 1u);
  EXPECT_EQ(call->args[0].kind, Value::Kind::real);
  TermBuffer expected;
  expected.atom("t1");
  EXPECT_EQ(c.tag, Tag(expected.data(), expected.data() + expected.size()));
}

TEST(Terms, EveryTruncationIsRefused) {
  const TermBuffer t = call_command("t1");
  for (size_t len = 0; len < t.size(); ++len) {
    Command c;
    EXPECT_FALSE(decode_command(t.data(), len, c)) << len;
    EXPECT_FALSE(c.tag.empty());
  }
}

// make_ref() on a node without distribution, as term_to_binary gives it.
std::string encoded_ref() {
  std::string out{'\x83', 'Z', '\x00', '\x03', '\x77', '\x0d'};
  out += "nonode@nohost";
  out += std::string{'\x00', '\x00', '\x00', '\x00'}; // creation
  for (int word = 0; word < 3; ++word)
    out += std::string{'\x00', '\x00', '\x01', static_cast<char>(word)};
  return out;
}

TEST(Terms, ARefTagIsTheReferencesEncoding) {
  const std::string ref = encoded_ref();
  Tag tag;
  ASSERT_TRUE(decode_ref_tag(ref.data(), ref.size(), tag));
  EXPECT_EQ(std::string(tag.begin(), tag.end()), ref);
  for (size_t len = 0; len < ref.size(); ++len) {
    Tag cut;
    EXPECT_FALSE(decode_ref_tag(ref.data(), len, cut)) << len;
  }
  // One whole reference only: not another term, nothing after it.
  TermBuffer atom;
  atom.atom("ref");
  Tag not_ref;
  EXPECT_FALSE(decode_ref_tag(atom.data(), atom.size(), not_ref));
  const std::string longer = ref + "x";
  EXPECT_FALSE(decode_ref_tag(longer.data(), longer.size(), not_ref));
}

TEST(Terms, AnEncodedTagIsEmbeddedAsATerm) {
  TermBuffer tag;
  tag.tuple(2).atom("ref").uinteger(7);
  TermBuffer moved;
  moved.tuple(2).atom("moved").encoded(
      Tag(tag.data(), tag.data() + tag.size()));
  ASSERT_TRUE(moved.ok());
  TermBuffer expected;
  expected.tuple(2).atom("moved").tuple(2).atom("ref").uinteger(7);
  EXPECT_EQ(std::string(moved.data(), moved.size()),
            std::string(expected.data(), expected.size()));
  // Anything but one whole term is refused.
  TermBuffer broken;
  broken.encoded(Tag(tag.data(), tag.data() + tag.size() - 1));
  EXPECT_FALSE(broken.ok());
}

// {init, t, <<0,97,115,109>>, wasm, #{wasi => Wasi}} with
// Wasi = {[<<"prog">>, <<"x">>], [{<<"K">>, <<"V">>}], <<"in">>, Pid,
//         `stderr`, 1000, `seed`}, as term_to_binary makes it.
std::vector<char> wasi_init(const char *stderr_mode, bool seeded) {
  ei_x_buff b;
  ei_x_new_with_version(&b);
  ei_x_encode_tuple_header(&b, 5);
  ei_x_encode_atom(&b, "init");
  ei_x_encode_atom(&b, "t");
  ei_x_encode_binary(&b, "\0asm", 4);
  ei_x_encode_atom(&b, "wasm");
  ei_x_encode_map_header(&b, 1);
  ei_x_encode_atom(&b, "wasi");
  ei_x_encode_tuple_header(&b, 7);
  ei_x_encode_list_header(&b, 2);
  ei_x_encode_binary(&b, "prog", 4);
  ei_x_encode_binary(&b, "x", 1);
  ei_x_encode_empty_list(&b);
  ei_x_encode_list_header(&b, 1);
  ei_x_encode_tuple_header(&b, 2);
  ei_x_encode_binary(&b, "K", 1);
  ei_x_encode_binary(&b, "V", 1);
  ei_x_encode_empty_list(&b);
  ei_x_encode_binary(&b, "in", 2);
  erlang_pid pid{};
  std::strcpy(pid.node, "a@b");
  pid.num = 7;
  ei_x_encode_pid(&b, &pid);
  ei_x_encode_atom(&b, stderr_mode);
  ei_x_encode_ulong(&b, 1000);
  if (seeded)
    ei_x_encode_ulong(&b, 42);
  else
    ei_x_encode_atom(&b, "none");
  std::vector<char> out(b.buff, b.buff + b.index);
  ei_x_free(&b);
  return out;
}

TEST(Terms, DecodesAnInitsWasiOption) {
  const std::vector<char> t = wasi_init("discard", true);
  Command c;
  ASSERT_TRUE(decode_command(t.data(), t.size(), c));
  const cmd::Init *init = c.as<cmd::Init>();
  ASSERT_NE(init, nullptr);
  ASSERT_TRUE(init->wasi.has_value());
  const WasiSpec &wasi = *init->wasi;
  EXPECT_EQ(wasi.args, (std::vector<std::string>{"prog", "x"}));
  ASSERT_EQ(wasi.env.size(), 1u);
  EXPECT_EQ(wasi.env[0].first, "K");
  EXPECT_EQ(wasi.env[0].second, "V");
  EXPECT_EQ(wasi.stdin_data, "in");
  EXPECT_EQ(wasi.stdout_mode, OutputMode::send);
  EXPECT_EQ(wasi.stderr_mode, OutputMode::discard);
  EXPECT_EQ(wasi.output_limit, 1000u);
  EXPECT_TRUE(wasi.seeded);
  EXPECT_EQ(wasi.seed, 42u);

  Command unseeded;
  const std::vector<char> u = wasi_init("capture", false);
  ASSERT_TRUE(decode_command(u.data(), u.size(), unseeded));
  EXPECT_FALSE(unseeded.as<cmd::Init>()->wasi->seeded);
  EXPECT_EQ(unseeded.as<cmd::Init>()->wasi->stderr_mode, OutputMode::capture);
}

TEST(Terms, RefusesABadOrTruncatedWasiOption) {
  const std::vector<char> bad = wasi_init("pipe", false);
  Command c;
  EXPECT_FALSE(decode_command(bad.data(), bad.size(), c));
  const std::vector<char> t = wasi_init("capture", true);
  for (size_t len = 0; len < t.size(); ++len) {
    Command cut;
    EXPECT_FALSE(decode_command(t.data(), len, cut)) << len;
  }
}

TEST(Terms, DecodesReadOutput) {
  for (const char *stream : {"stdout", "stderr", "stdin"}) {
    TermBuffer t;
    t.tuple(3).atom("read_output").atom("t").atom(stream);
    Command c;
    const bool decoded = decode_command(t.data(), t.size(), c);
    EXPECT_EQ(decoded, std::string(stream) != "stdin") << stream;
    if (decoded) {
      EXPECT_EQ(c.as<cmd::ReadOutput>()->stderr_stream,
                std::string(stream) == "stderr");
    }
  }
}

} // namespace
} // namespace hb_beamr::driver
