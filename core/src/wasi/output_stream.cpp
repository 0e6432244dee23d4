#include "wasi/output_stream.hpp"

#include <algorithm>
#include <cstring>

namespace hb_beamr::wasi_detail {

void OutputStream::write(std::string_view bytes) {
  switch (sink_.mode) {
  case OutputSink::Mode::capture: capture(bytes); break;
  case OutputSink::Mode::discard: break;
  case OutputSink::Mode::callback:
    if (sink_.callback && !bytes.empty())
      sink_.callback(bytes);
    break;
  }
}

void OutputStream::capture(std::string_view bytes) {
  if (bytes.size() >= limit_) {
    // The write alone fills the buffer: keep its tail, drop all else.
    dropped_ += data_.size() + (bytes.size() - limit_);
    data_.assign(bytes.substr(bytes.size() - limit_));
    start_ = 0;
    return;
  }
  while (!bytes.empty()) {
    if (data_.size() < limit_) {
      size_t room = std::min(bytes.size(), limit_ - data_.size());
      data_.append(bytes.substr(0, room));
      bytes.remove_prefix(room);
      continue;
    }
    // Full: overwrite the oldest bytes, up to the ring's physical end.
    size_t span = std::min(bytes.size(), limit_ - start_);
    std::memcpy(&data_[start_], bytes.data(), span);
    start_ = (start_ + span) % limit_;
    dropped_ += span;
    bytes.remove_prefix(span);
  }
}

std::string OutputStream::take() {
  std::string out;
  out.reserve(data_.size());
  out.append(data_, start_, std::string::npos);
  out.append(data_, 0, start_);
  data_.clear();
  start_ = 0;
  return out;
}

} // namespace hb_beamr::wasi_detail
