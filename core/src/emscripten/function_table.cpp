// Every runtime import the provider answers, with the signatures it accepts
// and the handler that answers it. Families named by a prefix (invoke_*,
// __cxa_find_matching_catch_*, __syscall_*) are matched by their shape.
#include <algorithm>
#include <iterator>
#include <string_view>

#include "emscripten/state.hpp"

namespace hb_beamr::emscripten_detail {

namespace {

// An import with its parameters and results as letters: p a pointer or size
// (i32 on wasm32, i64 on wasm64), i i32, j i64, d f64. A name may appear
// more than once, once per form emscripten versions have used.
struct FunctionSpec {
  const char *name;
  const char *params;
  const char *results;
  Handler handler;
};

// Sorted by name (then form) for binary search.
const FunctionSpec kFunctions[] = {
    {"__cxa_begin_catch", "p", "p", cxa_begin_catch},
    {"__cxa_call_unexpected", "p", "", cxa_call_unexpected},
    {"__cxa_current_primary_exception", "", "p", cxa_current_primary_exception},
    {"__cxa_end_catch", "", "", cxa_end_catch},
    {"__cxa_get_exception_ptr", "p", "p", cxa_get_exception_ptr},
    {"__cxa_rethrow", "", "", cxa_rethrow},
    {"__cxa_rethrow_primary_exception", "p", "", cxa_rethrow_primary_exception},
    {"__cxa_throw", "ppp", "", cxa_throw},
    {"__cxa_uncaught_exceptions", "", "i", cxa_uncaught_exceptions},
    {"__resumeException", "p", "", resume_exception},
    {"_abort_js", "", "", abort},
    {"_emscripten_get_now_is_monotonic", "", "i", get_now_is_monotonic},
    {"_emscripten_memcpy_js", "ppp", "", memcpy_js},
    {"_emscripten_system", "p", "i", system},
    {"_emscripten_throw_longjmp", "", "", throw_longjmp},
    {"_gmtime_js", "iip", "", gmtime_js},
    {"_gmtime_js", "jp", "", gmtime_js},
    {"_gmtime_js", "pp", "", gmtime_js},
    {"_localtime_js", "iip", "", localtime_js},
    {"_localtime_js", "jp", "", localtime_js},
    {"_localtime_js", "pp", "", localtime_js},
    {"_mktime_js", "p", "d", mktime_js},
    {"_mktime_js", "p", "i", mktime_js},
    {"_mktime_js", "p", "j", mktime_js},
    {"_tzset_js", "pppp", "", tzset_js},
    {"abort", "", "", abort},
    {"emscripten_date_now", "", "d", date_now},
    {"emscripten_get_now", "", "d", get_now},
    {"emscripten_memcpy_big", "ppp", "", memcpy_js},
    {"emscripten_memcpy_big", "ppp", "p", memcpy_js},
    {"emscripten_notify_memory_growth", "p", "", notify_memory_growth},
    {"emscripten_resize_heap", "p", "i", resize_heap},
    {"exit", "i", "", exit},
    {"getTempRet0", "", "i", get_temp_ret0},
    {"llvm_eh_typeid_for", "p", "i", eh_typeid_for},
    {"setTempRet0", "i", "", set_temp_ret0},
    {"strftime", "pppp", "p", strftime},
    {"strftime_l", "ppppp", "p", strftime},
};

ValType letter_type(char letter, bool is64) {
  switch (letter) {
  case 'p': return is64 ? ValType::i64 : ValType::i32;
  case 'j': return ValType::i64;
  case 'd': return ValType::f64;
  default: return ValType::i32;
  }
}

bool letters_match(const char *letters, const std::vector<ValType> &types,
                   bool is64) {
  size_t i = 0;
  for (; letters[i] != '\0'; ++i)
    if (i >= types.size() || types[i] != letter_type(letters[i], is64))
      return false;
  return i == types.size();
}

bool spec_matches(const FunctionSpec &spec, const FuncSig &sig) {
  for (bool is64 : {false, true})
    if (letters_match(spec.params, sig.params, is64) &&
        letters_match(spec.results, sig.results, is64))
      return true;
  return false;
}

bool is_integer(ValType type) {
  return type == ValType::i32 || type == ValType::i64;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// invoke_<sig>(index, args...): any argument types; the table index is an
// i32 or i64, and there is at most one result.
bool is_invoke(const ExternDesc &import) {
  const FuncSig &sig = import.func;
  return starts_with(import.name, "invoke_") && !sig.params.empty() &&
         is_integer(sig.params[0]) && sig.results.size() <= 1;
}

// __cxa_find_matching_catch_N(type...): pointers in, the thrown pointer out.
bool is_find_matching_catch(const ExternDesc &import) {
  const FuncSig &sig = import.func;
  if (!starts_with(import.name, "__cxa_find_matching_catch_") ||
      sig.results.size() != 1 || !is_integer(sig.results[0]))
    return false;
  return std::all_of(sig.params.begin(), sig.params.end(),
                     [&](ValType t) { return t == sig.results[0]; });
}

// __syscall_*(ints...) -> int: answered as a process without files.
bool is_syscall(const ExternDesc &import) {
  const FuncSig &sig = import.func;
  return starts_with(import.name, "__syscall_") && sig.results.size() == 1 &&
         is_integer(sig.results[0]) &&
         std::all_of(sig.params.begin(), sig.params.end(), is_integer);
}

} // namespace

Handler find_handler(const ExternDesc &import) {
  if (import.kind != ExternKind::func || import.module != "env")
    return nullptr;
  if (is_invoke(import))
    return invoke;
  if (is_find_matching_catch(import))
    return cxa_find_matching_catch;
  if (is_syscall(import))
    return syscall;
  const FunctionSpec *it = first_named(kFunctions, import.name);
  for (; it != std::end(kFunctions) && import.name == it->name; ++it)
    if (spec_matches(*it, import.func))
      return it->handler;
  return nullptr;
}

} // namespace hb_beamr::emscripten_detail
