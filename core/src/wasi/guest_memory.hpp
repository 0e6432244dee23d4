// Bounds-checked, little-endian access to a guest's default memory for the
// WASI provider: every pointer a guest passes goes through here, so a bad one
// becomes EFAULT instead of a host crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "hb_beamr/context.hpp"

namespace hb_beamr::wasi_detail {

/// One iovec or ciovec, widened to 64 bits whatever the guest's pointer size.
struct Iovec {
  uint64_t address;
  uint64_t length;
};

/// The guest memory seen during one import call. Borrows the context; lives
/// only as long as that call (the memory cannot grow while host code runs).
class GuestMemory {
public:
  /// `is64`: the guest uses 64-bit pointers and sizes (wasm64).
  GuestMemory(Context &context, bool is64);

  bool is64() const { return is64_; }
  /// Bytes of a pointer or a size in the guest: 4 or 8.
  uint64_t word() const { return is64_ ? 8 : 4; }

  /// Whether [address, address + length) lies inside memory.
  bool contains(uint64_t address, uint64_t length) const;
  /// Copies out / in; false (nothing touched) when out of bounds.
  bool read(uint64_t address, void *out, size_t length) const;
  bool write(uint64_t address, const void *data, size_t length);

  bool read_u16(uint64_t address, uint16_t *out) const;
  bool read_u32(uint64_t address, uint32_t *out) const;
  bool read_u64(uint64_t address, uint64_t *out) const;
  bool write_u16(uint64_t address, uint16_t value);
  bool write_u32(uint64_t address, uint32_t value);
  bool write_u64(uint64_t address, uint64_t value);
  /// Writes a pointer or size of the guest's width. The caller has checked
  /// that `value` fits (wasm32 sizes are 32-bit).
  bool write_word(uint64_t address, uint64_t value);

  /// Reads `count` iovecs at `address` into `out` and checks that each buffer
  /// lies inside memory. Returns an errno: EINVAL past kMaxIovecs, EFAULT for
  /// any byte outside memory, success otherwise. Buffers may overlap.
  uint16_t read_iovecs(uint64_t address, uint64_t count,
                       std::vector<Iovec> &out) const;

private:
  // The memory's size, asked once per call and only by calls that touch
  // memory; 0 when the module has none, so that every access faults.
  uint64_t size() const;

  Context &context_;
  bool is64_;
  mutable std::optional<uint64_t> size_;
};

/// Sum of the iovecs' lengths; false if it exceeds `limit` (the largest
/// count the guest can be told: UINT32_MAX on wasm32).
bool total_length(const std::vector<Iovec> &iovecs, uint64_t limit,
                  uint64_t *total);

} // namespace hb_beamr::wasi_detail
