// TermBuffer and tags; see term_buffer.hpp.
#include "term_buffer.hpp"

#include <limits>

namespace hb_beamr::driver {

Tag undefined_tag() {
  TermBuffer term;
  term.atom("undefined");
  return Tag(term.data(), term.data() + term.size());
}

TermBuffer::TermBuffer() {
  if (ei_x_new_with_version(&buffer_) < 0) {
    buffer_.buff = nullptr;
    buffer_.buffsz = 0;
    buffer_.index = 0;
    ok_ = false;
  }
}

TermBuffer::~TermBuffer() {
  if (buffer_.buff != nullptr)
    ei_x_free(&buffer_);
}

TermBuffer::TermBuffer(TermBuffer &&other) noexcept
    : buffer_(other.buffer_), ok_(other.ok_) {
  other.buffer_.buff = nullptr;
  other.buffer_.buffsz = 0;
  other.buffer_.index = 0;
  other.ok_ = false;
}

TermBuffer &TermBuffer::check(int rc) {
  if (rc < 0)
    ok_ = false;
  return *this;
}

TermBuffer &TermBuffer::tuple(int arity) {
  if (!ok_)
    return *this;
  return check(ei_x_encode_tuple_header(&buffer_, arity));
}
TermBuffer &TermBuffer::list(int length) {
  if (!ok_ || length == 0)
    return *this;
  return check(ei_x_encode_list_header(&buffer_, length));
}
TermBuffer &TermBuffer::nil() {
  if (!ok_)
    return *this;
  return check(ei_x_encode_empty_list(&buffer_));
}
TermBuffer &TermBuffer::atom(const char *name) {
  if (!ok_)
    return *this;
  return check(ei_x_encode_atom(&buffer_, name));
}
TermBuffer &TermBuffer::binary(const void *data, size_t length) {
  if (!ok_)
    return *this;
  if (length > static_cast<size_t>(std::numeric_limits<int>::max())) {
    ok_ = false;
    return *this;
  }
  return check(ei_x_encode_binary(&buffer_, data, static_cast<int>(length)));
}
TermBuffer &TermBuffer::string(std::string_view text) {
  if (!ok_)
    return *this;
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    ok_ = false;
    return *this;
  }
  return check(ei_x_encode_string_len(&buffer_, text.data(),
                                      static_cast<int>(text.size())));
}
TermBuffer &TermBuffer::integer(int64_t value) {
  if (!ok_)
    return *this;
  return check(ei_x_encode_longlong(&buffer_, value));
}
TermBuffer &TermBuffer::uinteger(uint64_t value) {
  if (!ok_)
    return *this;
  return check(ei_x_encode_ulonglong(&buffer_, value));
}
TermBuffer &TermBuffer::real(double value) {
  if (!ok_)
    return *this;
  return check(ei_x_encode_double(&buffer_, value));
}

TermBuffer &TermBuffer::encoded(const std::vector<char> &term) {
  if (!ok_)
    return *this;
  // The term must be whole: ei_skip_term walks it (a Tag was validated when
  // it was decoded, or made by a TermBuffer) before it is copied.
  int index = 0;
  int version = 0;
  if (term.empty() || ei_decode_version(term.data(), &index, &version) < 0)
    return check(-1);
  const int start = index;
  if (ei_skip_term(term.data(), &index) < 0 ||
      static_cast<size_t>(index) != term.size())
    return check(-1);
  return check(ei_x_append_buf(&buffer_, term.data() + start, index - start));
}

} // namespace hb_beamr::driver
