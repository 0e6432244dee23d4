// The emscripten provider's private state and the shape of its handlers:
// one handler per runtime import, looked up in function_table.cpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wasm.h>

#include "hb_beamr/context.hpp"
#include "hb_beamr/emscripten.hpp"
#include "wasi/guest_memory.hpp"

namespace hb_beamr {

/// Everything one provider keeps between calls. Owned through a unique_ptr
/// so that its address (which bindings capture) survives moves.
struct EmscriptenState {
  // getTempRet0/setTempRet0: the high half of i64 results on wasm32, and the
  // selector of the matching catch clause.
  int32_t temp_ret0 = 0;
  // The exception being thrown (its thrown-object pointer), as emscripten's
  // exceptionLast; 0 when none.
  uint64_t exception_last = 0;
  uint32_t uncaught = 0;
  // Thrown-object pointers of the catch blocks in progress, innermost last.
  std::vector<uint64_t> caught;
  std::optional<int32_t> exit_code;
  // Set by the handlers that unwind the guest (throw, rethrow, longjmp) and
  // cleared by the invoke_* that catches it; with the marker in the trap
  // message this tells an emscripten unwind from any other trap.
  bool unwinding = false;
};

namespace emscripten_detail {

/// How calls back into the guest are made: blocking (Context::call) for
/// bindings, or suspendable calls driven to their end for answer().
class Nester {
public:
  virtual ~Nester() = default;
  /// Calls export `name` / table entry `index`; results are resized.
  virtual Status call(std::string_view name,
                      const std::vector<wasm_val_t> &args,
                      std::vector<wasm_val_t> &results) = 0;
  virtual Status call_indirect(uint64_t index,
                               const std::vector<wasm_val_t> &args,
                               std::vector<wasm_val_t> &results) = 0;
};

/// One import call as a handler sees it.
struct Call {
  EmscriptenState &state;
  Context &context;
  const ExternDesc &import;
  wasi_detail::GuestMemory &memory;
  Nester &nester;
  const wasm_val_t *args;
  wasm_val_t *results;

  /// Argument `i` as an unsigned 64-bit number (i32 zero-extended).
  uint64_t arg(size_t i) const {
    return args[i].kind == WASM_I64
               ? static_cast<uint64_t>(args[i].of.i64)
               : uint64_t{static_cast<uint32_t>(args[i].of.i32)};
  }
  /// Argument `i` as a signed number (i32 sign-extended).
  int64_t sarg(size_t i) const {
    return args[i].kind == WASM_I64 ? args[i].of.i64 : args[i].of.i32;
  }
  /// Sets the first result from an integer, in its declared type (f64
  /// results get the number, as JS would return it).
  void result(int64_t value);
  /// Sets the first result from a double.
  void result_f64(double value);
};

/// A handler fills `results` and returns ok, or returns the Error to trap
/// with.
using Handler = Status (*)(Call &);

/// The first error the guest's memory access returns: a trap naming what
/// the guest pointed at out of bounds.
Error fault(const Call &call, const char *what);

/// The trap messages of this provider's unwinds; invoke_* recognises them.
extern const char *const kThrowMessage;
extern const char *const kLongjmpMessage;
/// Raises the unwind `message` (marks the state as unwinding).
Error unwind(EmscriptenState &state, const char *message);

/// The first entry of `table` (sorted by its `name` field) whose name is not
/// less than `name`, or the table's end.
template <typename Spec, size_t N>
const Spec *first_named(const Spec (&table)[N], std::string_view name) {
  return std::lower_bound(table, table + N, name,
                          [](const Spec &spec, std::string_view n) {
                            return std::string_view(spec.name) < n;
                          });
}

/// The handler answering `import`, or null if the provider does not cover
/// it (name unknown or signature not one it accepts).
Handler find_handler(const ExternDesc &import);

// Handlers, by file.
// invoke.cpp
Status invoke(Call &);
Status cxa_throw(Call &);
Status cxa_rethrow(Call &);
Status cxa_begin_catch(Call &);
Status cxa_end_catch(Call &);
Status cxa_get_exception_ptr(Call &);
Status cxa_uncaught_exceptions(Call &);
Status cxa_call_unexpected(Call &);
Status cxa_current_primary_exception(Call &);
Status cxa_rethrow_primary_exception(Call &);
Status cxa_find_matching_catch(Call &);
Status resume_exception(Call &);
Status throw_longjmp(Call &);
Status eh_typeid_for(Call &);
// functions_runtime.cpp
Status get_temp_ret0(Call &);
Status set_temp_ret0(Call &);
Status notify_memory_growth(Call &);
Status resize_heap(Call &);
Status memcpy_js(Call &);
Status date_now(Call &);
Status get_now(Call &);
Status get_now_is_monotonic(Call &);
Status exit(Call &);
Status abort(Call &);
Status system(Call &);
// functions_time.cpp
Status tzset_js(Call &);
Status localtime_js(Call &);
Status gmtime_js(Call &);
Status mktime_js(Call &);
Status strftime(Call &);
// syscalls.cpp
Status syscall(Call &);

} // namespace emscripten_detail
} // namespace hb_beamr
