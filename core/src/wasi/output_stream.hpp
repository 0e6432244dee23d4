// One guest output stream (stdout or stderr) and where its bytes go: a
// bounded capture that keeps the newest bytes, a discard, or a callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hb_beamr/wasi.hpp"

namespace hb_beamr::wasi_detail {

/// Not thread-safe; owned by the provider's state.
class OutputStream {
public:
  OutputStream(OutputSink sink, size_t limit)
      : sink_(std::move(sink)), limit_(limit) {}

  /// Takes bytes the guest wrote. Capture past the limit overwrites the
  /// oldest bytes and counts them as dropped.
  void write(std::string_view bytes);
  /// The captured bytes, oldest first; the capture is empty afterwards.
  std::string take();
  uint64_t dropped() const { return dropped_; }

private:
  void capture(std::string_view bytes);

  OutputSink sink_;
  size_t limit_;
  // Grows up to limit_; once full it is a ring whose oldest byte is at
  // start_, so each write costs its own length rather than the buffer's.
  std::string data_;
  size_t start_ = 0;
  uint64_t dropped_ = 0;
};

} // namespace hb_beamr::wasi_detail
