// Helpers shared by the WASI provider's tests: a context instantiated with
// nothing but a Wasi provider's bindings (so any import it does not cover
// fails the link), and byte access to the guest's memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hb_beamr/context.hpp"
#include "hb_beamr/wasi.hpp"
#include "test_support.hpp"

namespace hb_beamr::test {

/// Fixture `name` loaded and instantiated with `wasi`'s bindings only; null
/// (with the failure recorded) if that fails.
inline std::unique_ptr<Context> with_wasi(const std::string &name, Wasi &wasi,
                                          const ContextOptions &options = {}) {
  std::unique_ptr<Context> ctx = Context::create(options);
  if (!ctx) {
    ADD_FAILURE() << "Context::create returned null";
    return nullptr;
  }
  std::vector<uint8_t> bytes = read_fixture(name);
  Status loaded = ctx->load(bytes.data(), bytes.size());
  if (!loaded) {
    ADD_FAILURE() << "load " << name << ": " << loaded.error().message;
    return nullptr;
  }
  Status made = ctx->instantiate(nullptr, wasi.bindings(ctx->imports()));
  if (!made) {
    ADD_FAILURE() << "instantiate " << name << ": " << made.error().message;
    return nullptr;
  }
  return ctx;
}

/// Writes `bytes` at `offset` of the guest's memory (failure recorded).
inline void poke(Context &ctx, uint64_t offset, const std::string &bytes) {
  Status status = ctx.memory_write(offset, bytes.data(), bytes.size());
  EXPECT_TRUE(status) << "memory_write at " << offset;
}

/// `length` bytes at `offset` of the guest's memory.
inline std::string peek(Context &ctx, uint64_t offset, size_t length) {
  std::string bytes(length, '\0');
  Status status = ctx.memory_read(offset, bytes.data(), length);
  EXPECT_TRUE(status) << "memory_read at " << offset;
  return bytes;
}

/// Little-endian encodings, as WASI lays out its structures.
inline std::string le32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<char>(v >> (8 * i));
  return out;
}
inline std::string le64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(v >> (8 * i));
  return out;
}
inline uint64_t read_le(Context &ctx, uint64_t offset, size_t width) {
  std::string bytes = peek(ctx, offset, width);
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

/// Calls export `name` returning one i32 (an errno); -1 after recording a
/// failure if the call fails.
inline int32_t call_errno(Context &ctx, const char *name,
                          const std::vector<wasm_val_t> &args) {
  std::vector<wasm_val_t> results;
  Status status = ctx.call(name, args, results);
  if (!status) {
    ADD_FAILURE() << "calling " << name << ": " << status.error().message;
    return -1;
  }
  EXPECT_EQ(1u, results.size());
  return results.empty() ? -1 : results[0].of.i32;
}

} // namespace hb_beamr::test
