// Error reporting for the C++ core: every fallible call returns a Result.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hb_beamr {

/// What went wrong, coarse enough for callers to branch on. The C facade maps
/// each kind to one hb_beamr_capi_lib_rc_t code.
enum class ErrorKind {
  allocation,       ///< Out of memory.
  engine_init,      ///< The engine could not be created or configured.
  load,             ///< The binary is not a valid (or compatible) module.
  instantiate,      ///< Instantiation failed (e.g. the start function trapped).
  link,             ///< An import could not be satisfied.
  lookup,           ///< No export of that name, or not of the expected kind.
  trap,             ///< WebAssembly trapped; the message holds the trap text.
  invalid_state,    ///< The operation is not allowed in the current state.
  invalid_argument, ///< Wrong argument count/type, bad table index, ...
  out_of_bounds,    ///< A memory access outside linear memory.
  unsupported,      ///< The engine or this build cannot do it.
  interrupted,      ///< The call was stopped by Context::interrupt().
  timeout,          ///< The call ran past its time limit and was stopped.
};

/// Stable lower-case name of an error kind ("trap", "invalid_state", ...).
const char *error_kind_name(ErrorKind kind);

/// An error kind plus a human-readable message.
struct Error {
  ErrorKind kind;
  std::string message;
};

/// Either a value or an Error. Cheap to move; check ok() before value().
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : data_(std::move(value)) {}
  Result(Error error) : data_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }
  T &value() { return std::get<T>(data_); }
  const T &value() const { return std::get<T>(data_); }
  const Error &error() const { return std::get<Error>(data_); }

private:
  std::variant<T, Error> data_;
};

/// Result of an operation that yields nothing on success.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error &error() const { return error_; }

private:
  Error error_{ErrorKind::allocation, {}};
  bool ok_ = true;
};

using Status = Result<void>;

/// Shorthand for building an Error.
inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

} // namespace hb_beamr
