#include "wasi/guest_memory.hpp"

#include "wasi/abi.hpp"

namespace hb_beamr::wasi_detail {

namespace {

// Little-endian encoding, independent of the host's byte order.
void put_le(uint8_t *out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get_le(const uint8_t *in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= uint64_t{in[i]} << (8 * i);
  return value;
}

} // namespace

GuestMemory::GuestMemory(Context &context, bool is64)
    : context_(context), is64_(is64) {}

uint64_t GuestMemory::size() const {
  if (!size_) {
    Result<uint64_t> size = context_.memory_size();
    size_ = size ? size.value() : 0;
  }
  return *size_;
}

bool GuestMemory::contains(uint64_t address, uint64_t length) const {
  const uint64_t size = this->size();
  return address <= size && length <= size - address;
}

bool GuestMemory::read(uint64_t address, void *out, size_t length) const {
  if (!contains(address, length))
    return false;
  return length == 0 || context_.memory_read(address, out, length).ok();
}

bool GuestMemory::write(uint64_t address, const void *data, size_t length) {
  if (!contains(address, length))
    return false;
  return length == 0 || context_.memory_write(address, data, length).ok();
}

bool GuestMemory::read_u16(uint64_t address, uint16_t *out) const {
  uint8_t bytes[2];
  if (!read(address, bytes, sizeof bytes))
    return false;
  *out = static_cast<uint16_t>(get_le(bytes, sizeof bytes));
  return true;
}

bool GuestMemory::read_u32(uint64_t address, uint32_t *out) const {
  uint8_t bytes[4];
  if (!read(address, bytes, sizeof bytes))
    return false;
  *out = static_cast<uint32_t>(get_le(bytes, sizeof bytes));
  return true;
}

bool GuestMemory::read_u64(uint64_t address, uint64_t *out) const {
  uint8_t bytes[8];
  if (!read(address, bytes, sizeof bytes))
    return false;
  *out = get_le(bytes, sizeof bytes);
  return true;
}

bool GuestMemory::write_u16(uint64_t address, uint16_t value) {
  uint8_t bytes[2];
  put_le(bytes, value, sizeof bytes);
  return write(address, bytes, sizeof bytes);
}

bool GuestMemory::write_u32(uint64_t address, uint32_t value) {
  uint8_t bytes[4];
  put_le(bytes, value, sizeof bytes);
  return write(address, bytes, sizeof bytes);
}

bool GuestMemory::write_u64(uint64_t address, uint64_t value) {
  uint8_t bytes[8];
  put_le(bytes, value, sizeof bytes);
  return write(address, bytes, sizeof bytes);
}

bool GuestMemory::write_word(uint64_t address, uint64_t value) {
  return is64_ ? write_u64(address, value)
               : write_u32(address, static_cast<uint32_t>(value));
}

uint16_t GuestMemory::read_iovecs(uint64_t address, uint64_t count,
                                  std::vector<Iovec> &out) const {
  if (count > wasi_abi::kMaxIovecs)
    return wasi_abi::kInval;
  const uint64_t entry = 2 * word();
  // count <= kMaxIovecs, so count * entry cannot overflow.
  std::vector<uint8_t> raw(static_cast<size_t>(count * entry));
  if (!read(address, raw.data(), raw.size()))
    return wasi_abi::kFault;
  out.clear();
  out.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t *at = raw.data() + i * entry;
    Iovec iov{get_le(at, word()), get_le(at + word(), word())};
    if (!contains(iov.address, iov.length))
      return wasi_abi::kFault;
    out.push_back(iov);
  }
  return wasi_abi::kSuccess;
}

bool total_length(const std::vector<Iovec> &iovecs, uint64_t limit,
                  uint64_t *total) {
  uint64_t sum = 0;
  for (const Iovec &iov : iovecs) {
    if (iov.length > limit - sum)
      return false;
    sum += iov.length;
  }
  *total = sum;
  return true;
}

} // namespace hb_beamr::wasi_detail
