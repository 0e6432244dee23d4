// Every command kind, cut short or with one bit flipped, is decoded without
// reading outside its bytes (each input is copied into a heap block of
// exactly its size, so AddressSanitizer sees any overread), and a cut-short
// command is refused. The fuzz targets (fuzz/) search further; these pin the
// simplest corruptions in every build.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compact.hpp"
#include "protocol.hpp"

namespace hb_beamr::driver {
namespace {

/// One well-formed command of each op, and the request it must decode to.
struct Sample {
  std::string name;
  std::vector<char> bytes;
  size_t request_index; ///< the Request alternative it decodes to
};

template <typename T> constexpr size_t index_of() {
  return Request(T{}).index();
}

Sample sample(std::string name, const TermBuffer &t, size_t index) {
  EXPECT_TRUE(t.ok()) << name;
  return {std::move(name), std::vector<char>(t.data(), t.data() + t.size()),
          index};
}

std::vector<Sample> samples() {
  static const char kWasm[] = "\0asm\1\0\0\0";
  std::vector<Sample> out;
  {
    // {init, t, Wasm, wasm, #{fuel => 10}}: TermBuffer has no map encoder,
    // so the map header is written by hand (MAP_EXT, arity 1).
    TermBuffer head;
    head.tuple(5).atom("init").atom("t").binary(kWasm, 8).atom("wasm");
    std::vector<char> bytes(head.data(), head.data() + head.size());
    const char map[] = {'t', 0, 0, 0, 1};
    bytes.insert(bytes.end(), map, map + sizeof map);
    TermBuffer key;
    key.atom("fuel").integer(10);
    bytes.insert(bytes.end(), key.data() + 1, key.data() + key.size());
    out.push_back({"init_options", bytes, index_of<cmd::Init>()});
  }
  TermBuffer plain_init;
  plain_init.tuple(4).atom("init").atom("t").binary(kWasm, 8).atom("aot");
  out.push_back(sample("init", plain_init, index_of<cmd::Init>()));
  TermBuffer compile;
  compile.tuple(3).atom("compile").atom("t").binary(kWasm, 8);
  out.push_back(sample("compile", compile, index_of<cmd::Compile>()));
  TermBuffer call;
  call.tuple(5).atom("call").atom("t").binary(std::string_view("fac"));
  call.list(4).integer(-5).real(1.5).atom("nan").atom("null").nil();
  call.uinteger(250);
  out.push_back(sample("call", call, index_of<cmd::Call>()));
  TermBuffer indirect;
  indirect.tuple(4).atom("indirect_call").atom("t").uinteger(3);
  indirect.list(1).uinteger(UINT64_MAX).nil();
  out.push_back(sample("indirect_call", indirect, index_of<cmd::Call>()));
  TermBuffer response;
  response.tuple(3).atom("import_response").atom("t");
  response.list(2).integer(7).atom("infinity").nil();
  out.push_back(
      sample("import_response", response, index_of<cmd::ImportAnswer>()));
  TermBuffer error;
  error.tuple(3)
      .atom("import_error")
      .atom("t")
      .binary(std::string_view("boom"));
  out.push_back(sample("import_error", error, index_of<cmd::ImportAnswer>()));
  TermBuffer size;
  size.tuple(2).atom("size").atom("t");
  out.push_back(sample("size", size, index_of<cmd::Size>()));
  TermBuffer read;
  read.tuple(4).atom("read").atom("t").uinteger(0).uinteger(16);
  out.push_back(sample("read", read, index_of<cmd::Read>()));
  TermBuffer write;
  write.tuple(4).atom("write").atom("t").uinteger(8).binary(
      std::string_view("data"));
  out.push_back(sample("write", write, index_of<cmd::Write>()));
  TermBuffer serialize;
  serialize.tuple(2).atom("serialize").atom("t");
  out.push_back(sample("serialize", serialize, index_of<cmd::Serialize>()));
  TermBuffer deserialize;
  deserialize.tuple(3)
      .atom("deserialize")
      .atom("t")
      .binary(std::string_view("img"));
  out.push_back(
      sample("deserialize", deserialize, index_of<cmd::Deserialize>()));
  TermBuffer info;
  info.tuple(2).atom("info").atom("t");
  out.push_back(sample("info", info, index_of<cmd::Info>()));
  TermBuffer ping;
  ping.tuple(2).atom("ping").atom("t");
  out.push_back(sample("ping", ping, index_of<cmd::Ping>()));
  return out;
}

/// `len` bytes of `bytes` in a heap block of exactly that size.
std::unique_ptr<char[]> exact_copy(const std::vector<char> &bytes, size_t len) {
  auto copy = std::make_unique<char[]>(len);
  std::copy(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(len),
            copy.get());
  return copy;
}

TEST(Corruption, EverySampleDecodesWhole) {
  for (const Sample &s : samples()) {
    const auto copy = exact_copy(s.bytes, s.bytes.size());
    Command c;
    ASSERT_TRUE(decode_command(copy.get(), s.bytes.size(), c)) << s.name;
    EXPECT_EQ(c.request.index(), s.request_index) << s.name;
  }
}

TEST(Corruption, EveryTruncationOfEveryCommandIsRefused) {
  for (const Sample &s : samples()) {
    for (size_t len = 0; len < s.bytes.size(); ++len) {
      const auto copy = exact_copy(s.bytes, len);
      Command c;
      EXPECT_FALSE(decode_command(copy.get(), len, c)) << s.name << " " << len;
      EXPECT_FALSE(c.tag.empty()) << s.name << " " << len;
    }
  }
}

TEST(Corruption, EveryBitFlipOfEveryCommandStaysInBounds) {
  for (const Sample &s : samples()) {
    for (size_t bit = 0; bit < s.bytes.size() * 8; ++bit) {
      std::vector<char> flipped = s.bytes;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      const auto copy = exact_copy(flipped, flipped.size());
      Command c;
      // Some flips still make a valid command (another integer, another
      // atom of the same length); what matters is that the decoder stays
      // in bounds and always leaves a tag to answer with.
      if (!decode_command(copy.get(), flipped.size(), c)) {
        EXPECT_FALSE(c.tag.empty()) << s.name << " bit " << bit;
      }
    }
  }
}

std::vector<char> compact(std::initializer_list<int> bytes) {
  std::vector<char> out;
  for (int b : bytes)
    out.push_back(static_cast<char>(b));
  return out;
}

TEST(Corruption, CompactCallsAcceptOnlyWholeValues) {
  // <<0, Timeout:64, 3:32, "fac", integer 5>> and
  // <<1, Timeout:64, Index:64, nan>>: a cut is valid only between values.
  const std::vector<char> call =
      compact({0,   0,   0,   0, 0, 0, 0, 0, 9, 0, 0, 0, 3,
               'f', 'a', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 5});
  const std::vector<char> indirect =
      compact({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0});
  for (const auto &[bytes, header] :
       {std::pair{call, size_t{16}}, std::pair{indirect, size_t{17}}}) {
    for (size_t len = 0; len <= bytes.size(); ++len) {
      const auto copy = exact_copy(bytes, len);
      Command c;
      const bool whole = len >= header && (len - header) % 9 == 0;
      EXPECT_EQ(decode_compact_call(copy.get(), len, c), whole) << len;
    }
  }
}

TEST(Corruption, CompactAnswersAcceptOnlyWholeValues) {
  const std::vector<char> answer =
      compact({4, 0, 0, 0, 0, 0, 0, 0, 0, 7, 2, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0});
  for (size_t len = 0; len <= answer.size(); ++len) {
    const auto copy = exact_copy(answer, len);
    Command c;
    const bool whole = len >= 1 && (len - 1) % 9 == 0;
    EXPECT_EQ(decode_compact_answer(copy.get(), len, c), whole) << len;
  }
}

} // namespace
} // namespace hb_beamr::driver
