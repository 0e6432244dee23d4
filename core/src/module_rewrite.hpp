// Internal: load-time module rewriting, done by the engine crate's Rust
// rewriter (engine/src/rewrite, C ABI in hb_beamr_rewrite.h). This is the
// C++ side's one owner of those bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "hb_beamr/result.hpp"

namespace hb_beamr::rewrite {

/// A module's bytes as an engine should compile them: either the caller's
/// own bytes (nothing needed rewriting) or a rewritten copy owned here.
/// Borrows the caller's bytes, so it cannot outlive them.
class ModuleBytes {
public:
  ModuleBytes(const uint8_t *bytes, size_t size) : data_(bytes), size_(size) {}
  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  /// Whether these are new bytes rather than the caller's.
  bool rewritten() const { return owned_ != nullptr; }

private:
  friend Result<ModuleBytes> legacy_exceptions(const uint8_t *, size_t);
  struct Free {
    size_t size;
    void operator()(uint8_t *bytes) const;
  };
  const uint8_t *data_;
  size_t size_;
  std::unique_ptr<uint8_t, Free> owned_{nullptr, Free{0}};
};

/// Rewrites legacy exception handling (try / catch / catch_all / delegate /
/// rethrow) into the standard form (try_table / throw_ref / exnref), for
/// engines that only run the latter. A module without legacy exception
/// handling comes back as the caller's bytes, untouched. Invalid exception
/// handling is a `load` error naming the function and byte offset.
Result<ModuleBytes> legacy_exceptions(const uint8_t *bytes, size_t size);

} // namespace hb_beamr::rewrite
