// Context: reading and writing an instance's memory and globals, and the
// signatures of its functions. Memory is touched only through the engine's
// current view, bounds-checked before any byte moves.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "context_impl.hpp"

namespace hb_beamr {

Result<FuncSig> Context::export_signature(std::string_view name) const {
  if (Status s = impl_->require({State::module_loaded, State::instantiated,
                                 State::trapped, State::awaiting_import},
                                "export_signature");
      !s)
    return s.error();
  for (const ExternDesc &e : exports()) {
    if (e.name != name)
      continue;
    if (e.kind != ExternKind::func)
      return impl_->fail(
          make_error(ErrorKind::lookup,
                     "export \"" + std::string(name) + "\" is not a function"));
    return e.func;
  }
  return impl_->fail(make_error(
      ErrorKind::lookup, "no export named \"" + std::string(name) + "\""));
}

Result<FuncSig> Context::table_signature(uint64_t index) const {
  if (Status s = impl_->require_instance("table_signature"); !s)
    return s.error();
  Result<FuncSig> sig = impl_->instance->table_signature(index);
  if (!sig)
    return impl_->fail(sig.error());
  return sig;
}

Result<uint64_t> Context::memory_size() const {
  if (Status s = impl_->require_instance("memory_size"); !s)
    return s.error();
  Result<engine::MemoryView> mem = impl_->instance->memory();
  if (!mem)
    return impl_->fail(mem.error());
  return mem.value().size;
}

Result<bool> Context::memory_is64() const {
  if (Status s = impl_->require_instance("memory_is64"); !s)
    return s.error();
  Result<engine::MemoryView> mem = impl_->instance->memory();
  if (!mem)
    return impl_->fail(mem.error());
  return mem.value().is64;
}

namespace {
// offset + length <= size, without overflow.
bool in_bounds(uint64_t offset, size_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}
std::string bounds_message(const char *what, uint64_t offset, size_t length,
                           uint64_t size) {
  return std::string(what) + " of " + std::to_string(length) +
         " bytes at offset " + std::to_string(offset) +
         " is outside memory of " + std::to_string(size) + " bytes";
}
} // namespace

// The bytes [offset, offset + length) of the default memory, checked for an
// instance and against the memory's current size; valid until the next call
// or grow.
static Result<uint8_t *> memory_span(const Context::Impl &self,
                                     const char *operation, const char *what,
                                     uint64_t offset, size_t length) {
  if (Status s = self.require_instance(operation); !s)
    return s.error();
  Result<engine::MemoryView> mem = self.instance->memory();
  if (!mem)
    return self.fail(mem.error());
  if (!in_bounds(offset, length, mem.value().size))
    return self.fail(
        make_error(ErrorKind::out_of_bounds,
                   bounds_message(what, offset, length, mem.value().size)));
  return mem.value().data + offset;
}

Status Context::memory_read(uint64_t offset, void *out, size_t length) const {
  Result<uint8_t *> span =
      memory_span(*impl_, "memory_read", "read", offset, length);
  if (!span)
    return span.error();
  if (length > 0)
    std::memcpy(out, span.value(), length);
  return {};
}

Status Context::memory_write(uint64_t offset, const void *data, size_t length) {
  Result<uint8_t *> span =
      memory_span(*impl_, "memory_write", "write", offset, length);
  if (!span)
    return span.error();
  if (length > 0)
    std::memcpy(span.value(), data, length);
  return {};
}

namespace {
// Pages this size are checked and written one at a time.
constexpr size_t kZeroChunk = 4096;

bool all_zero(const uint8_t *bytes, size_t length) {
  return length == 0 ||
         (bytes[0] == 0 && std::memcmp(bytes, bytes + 1, length - 1) == 0);
}
} // namespace

Status Context::memory_zero(uint64_t offset, uint64_t length) {
  if (length > std::numeric_limits<size_t>::max())
    return impl_->fail(make_error(ErrorKind::out_of_bounds,
                                  "zeroing " + std::to_string(length) +
                                      " bytes is larger than the host"));
  Result<uint8_t *> span = memory_span(*impl_, "memory_zero", "zeroing", offset,
                                       static_cast<size_t>(length));
  if (!span)
    return span.error();
  // Reading a page never written maps the kernel's shared zero page, while
  // writing it would take a page of RAM: a snapshot restored into a large,
  // mostly untouched memory must not make all of it resident.
  uint8_t *bytes = span.value();
  for (uint64_t done = 0; done < length; done += kZeroChunk) {
    const size_t chunk =
        static_cast<size_t>(std::min<uint64_t>(kZeroChunk, length - done));
    if (!all_zero(bytes + done, chunk))
      std::memset(bytes + done, 0, chunk);
  }
  return {};
}

Result<uint64_t> Context::memory_grow(uint64_t delta_pages) {
  if (Status s = impl_->require_instance("memory_grow"); !s)
    return s.error();
  Result<uint64_t> old = impl_->instance->memory_grow(delta_pages);
  if (!old)
    return impl_->fail(old.error());
  return old;
}

Result<wasm_val_t> Context::global_get(std::string_view name) const {
  if (Status s = impl_->require_instance("global_get"); !s)
    return s.error();
  Result<wasm_val_t> value = impl_->instance->global_get(name);
  if (!value)
    return impl_->fail(value.error());
  return value;
}

Status Context::global_set(std::string_view name, const wasm_val_t &value) {
  if (Status s = impl_->require_instance("global_set"); !s)
    return s;
  Status set = impl_->instance->global_set(name, value);
  if (!set)
    return impl_->fail(set.error());
  return set;
}

} // namespace hb_beamr
