// Terms in the external format the driver sends: a growing buffer for one
// term, and the callers' tags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <ei.h>

namespace hb_beamr::driver {

/// The caller's correlation term in external format, version byte included,
/// ready for ERL_DRV_EXT2TERM.
using Tag = std::vector<char>;

/// The tag used when a command is too malformed to read its own: 'undefined'.
Tag undefined_tag();

/// A growing buffer of one term in external format (RAII over ei_x_buff).
/// Encoding failures (only allocation can fail) are sticky: check ok() once
/// at the end. Move-only.
class TermBuffer {
public:
  /// An empty buffer, the version byte written (!ok() if that failed).
  TermBuffer();
  ~TermBuffer();
  /// Takes `other`'s bytes; `other` is left empty and !ok().
  TermBuffer(TermBuffer &&other) noexcept;
  TermBuffer &operator=(TermBuffer &&) = delete;
  TermBuffer(const TermBuffer &) = delete;
  TermBuffer &operator=(const TermBuffer &) = delete;

  /// A tuple header; its `arity` elements follow.
  TermBuffer &tuple(int arity);
  /// A list header for `length` elements; call nil() after them (length 0
  /// needs only nil()).
  TermBuffer &list(int length);
  /// [] (also the tail of a list).
  TermBuffer &nil();
  /// An atom (UTF-8 `name`).
  TermBuffer &atom(const char *name);
  /// A binary with a copy of `length` bytes from `data`.
  TermBuffer &binary(const void *data, size_t length);
  /// A binary with a copy of `text`.
  TermBuffer &binary(std::string_view text) {
    return binary(text.data(), text.size());
  }
  /// An Erlang string (a list of bytes).
  TermBuffer &string(std::string_view text);
  /// An integer (small or big as it needs).
  TermBuffer &integer(int64_t value);
  /// A non-negative integer up to 2^64-1.
  TermBuffer &uinteger(uint64_t value);
  /// A float; `value` must be finite.
  TermBuffer &real(double value);

  /// Appends a term already in external format, version byte first (a
  /// Tag): ei checks and copies it as one term.
  TermBuffer &encoded(const std::vector<char> &term);

  /// Whether every encoding so far succeeded.
  bool ok() const { return ok_; }
  /// The bytes so far, version byte first; valid until the next append.
  const char *data() const { return buffer_.buff; }
  /// How many bytes data() holds.
  size_t size() const { return static_cast<size_t>(buffer_.index); }

private:
  TermBuffer &check(int rc);
  ei_x_buff buffer_;
  bool ok_ = true;
};

} // namespace hb_beamr::driver
