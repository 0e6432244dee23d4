// invoke_* and C++ exceptions as emscripten's JS library handles them: a
// throw or longjmp unwinds the guest as a trap of this provider's own, and
// the invoke_* whose nested call it unwinds restores the stack pointer and
// tells the guest through setThrew(1, 0). The exception's header lives in
// guest memory before the thrown object (emscripten 3.1.30 and later, whose
// module allocates and counts exceptions itself).
#include <initializer_list>
#include <string>
#include <vector>

#include "emscripten/state.hpp"

namespace hb_beamr::emscripten_detail {

namespace {

// Byte offsets in the __cxa_exception header that precedes the thrown
// object: {refcount, type, destructor, caught u8, rethrown u8, adjustedPtr,
// padding}, pointer-sized fields.
struct Header {
  uint64_t word;
  uint64_t size() const { return 6 * word; }
  uint64_t type() const { return word; }
  uint64_t destructor() const { return 2 * word; }
  uint64_t caught() const { return 3 * word; }
  uint64_t rethrown() const { return 3 * word + 1; }
  uint64_t adjusted() const { return 4 * word; }
};

// Where `field` of the header of thrown object `ptr` is; false if the header
// would start below address 0.
bool field_at(const Call &call, uint64_t ptr, uint64_t field,
              uint64_t *address) {
  Header header{call.memory.word()};
  if (ptr < header.size())
    return false;
  *address = ptr - header.size() + field;
  return true;
}

Status read_word(const Call &call, uint64_t ptr, uint64_t field,
                 uint64_t *out) {
  uint64_t address = 0;
  if (call.memory.is64()) {
    if (field_at(call, ptr, field, &address) &&
        call.memory.read_u64(address, out))
      return {};
  } else {
    uint32_t v = 0;
    if (field_at(call, ptr, field, &address) &&
        call.memory.read_u32(address, &v)) {
      *out = v;
      return {};
    }
  }
  return fault(call, "exception header");
}

Status write_word(Call &call, uint64_t ptr, uint64_t field, uint64_t value) {
  uint64_t address = 0;
  if (field_at(call, ptr, field, &address) &&
      call.memory.contains(address, call.memory.word()) &&
      call.memory.write_word(address, value))
    return {};
  return fault(call, "exception header");
}

Status read_flag(const Call &call, uint64_t ptr, uint64_t field, bool *out) {
  uint64_t address = 0;
  uint8_t byte = 0;
  if (!field_at(call, ptr, field, &address) ||
      !call.memory.read(address, &byte, 1))
    return fault(call, "exception header");
  *out = byte != 0;
  return {};
}

Status write_flag(Call &call, uint64_t ptr, uint64_t field, bool value) {
  uint64_t address = 0;
  uint8_t byte = value ? 1 : 0;
  if (!field_at(call, ptr, field, &address) ||
      !call.memory.write(address, &byte, 1))
    return fault(call, "exception header");
  return {};
}

wasm_val_t value_of(ValType type, uint64_t value) {
  wasm_val_t v{};
  if (type == ValType::i64) {
    v.kind = WASM_I64;
    v.of.i64 = static_cast<int64_t>(value);
  } else {
    v.kind = WASM_I32;
    v.of.i32 = static_cast<int32_t>(value);
  }
  return v;
}

// Calls the first of `names` the module exports, with integer `values` in
// its parameter types; *found is false (and nothing runs) if it exports
// none of them. *out gets its integer result, if it has one.
Status call_export(Call &call, std::initializer_list<const char *> names,
                   std::initializer_list<uint64_t> values, bool *found,
                   uint64_t *out = nullptr) {
  *found = false;
  for (const char *name : names) {
    Result<FuncSig> sig = call.context.export_signature(name);
    if (!sig || sig.value().params.size() != values.size())
      continue;
    *found = true;
    std::vector<wasm_val_t> args;
    size_t i = 0;
    for (uint64_t value : values)
      args.push_back(value_of(sig.value().params[i++], value));
    std::vector<wasm_val_t> results;
    Status status = call.nester.call(name, args, results);
    if (!status)
      return status;
    if (out != nullptr && !results.empty())
      *out = results[0].kind == WASM_I64
                 ? static_cast<uint64_t>(results[0].of.i64)
                 : uint64_t{static_cast<uint32_t>(results[0].of.i32)};
    return {};
  }
  return {};
}

// The pointer a catch clause receives for thrown object `ptr`.
Status exception_ptr(Call &call, uint64_t ptr, uint64_t *out) {
  Header header{call.memory.word()};
  uint64_t type = 0;
  if (Status s = read_word(call, ptr, header.type(), &type); !s)
    return s;
  bool found = false;
  uint64_t is_pointer = 0;
  if (Status s = call_export(call, {"__cxa_is_pointer_type"}, {type}, &found,
                             &is_pointer);
      !s)
    return s;
  if (found && is_pointer != 0) {
    *out = 0;
    if (call.memory.is64() ? call.memory.read_u64(ptr, out)
                           : call.memory.read(ptr, out, 4))
      return {};
    return fault(call, "thrown pointer");
  }
  uint64_t adjusted = 0;
  if (Status s = read_word(call, ptr, header.adjusted(), &adjusted); !s)
    return s;
  *out = adjusted != 0 ? adjusted : ptr;
  return {};
}

Status refcount(Call &call, const char *name, uint64_t ptr) {
  bool found = false;
  return call_export(call, {name}, {ptr}, &found);
}

bool is_our_unwind(const EmscriptenState &state, const Status &status) {
  if (status || !state.unwinding || status.error().kind != ErrorKind::trap)
    return false;
  const std::string &message = status.error().message;
  return message.find(kThrowMessage) != std::string::npos ||
         message.find(kLongjmpMessage) != std::string::npos;
}

wasm_valkind_t kind_of(ValType type) {
  switch (type) {
  case ValType::i64: return WASM_I64;
  case ValType::f32: return WASM_F32;
  case ValType::f64: return WASM_F64;
  default: return WASM_I32;
  }
}

// Copies the nested call's results into the import's, which must agree.
Status copy_results(Call &call, const std::vector<wasm_val_t> &results) {
  const std::vector<ValType> &want = call.import.func.results;
  bool same = results.size() == want.size();
  for (size_t i = 0; same && i < want.size(); ++i)
    same = results[i].kind == kind_of(want[i]);
  if (!same)
    return make_error(ErrorKind::trap,
                      "emscripten " + call.import.name +
                          ": the table entry's results do not match");
  for (size_t i = 0; i < results.size(); ++i)
    call.results[i] = results[i];
  return {};
}

// What invoke_* returns after an unwind: zeros, which the guest ignores
// once it has seen setThrew.
void zero_results(Call &call) {
  for (size_t i = 0; i < call.import.func.results.size(); ++i) {
    call.results[i] = wasm_val_t{};
    call.results[i].kind = kind_of(call.import.func.results[i]);
  }
}

} // namespace

Status invoke(Call &call) {
  const FuncSig &sig = call.import.func;
  std::vector<wasm_val_t> args(call.args + 1, call.args + sig.params.size());
  bool have_sp = false;
  uint64_t sp = 0;
  if (Status s =
          call_export(call, {"stackSave", "emscripten_stack_get_current"}, {},
                      &have_sp, &sp);
      !s)
    return s;
  EmscriptenState &state = call.state;
  state.unwinding = false;
  std::vector<wasm_val_t> results;
  Status status = call.nester.call_indirect(call.arg(0), args, results);
  const bool caught = is_our_unwind(state, status);
  state.unwinding = false;
  if (status)
    return copy_results(call, results);
  if (!caught)
    return status;
  bool found = false;
  if (have_sp) {
    if (Status s = call_export(
            call, {"stackRestore", "_emscripten_stack_restore"}, {sp}, &found);
        !s)
      return s;
  }
  if (Status s = call_export(call, {"setThrew", "_setThrew"}, {1, 0}, &found);
      !s || !found)
    return s ? status : s;
  zero_results(call);
  return {};
}

Status cxa_throw(Call &call) {
  Header header{call.memory.word()};
  const uint64_t ptr = call.arg(0);
  if (Status s = write_word(call, ptr, header.type(), call.arg(1)); !s)
    return s;
  if (Status s = write_word(call, ptr, header.destructor(), call.arg(2)); !s)
    return s;
  if (Status s = write_word(call, ptr, header.adjusted(), 0); !s)
    return s;
  call.state.exception_last = ptr;
  ++call.state.uncaught;
  return unwind(call.state, kThrowMessage);
}

Status cxa_rethrow(Call &call) {
  EmscriptenState &state = call.state;
  if (state.caught.empty())
    return make_error(ErrorKind::trap,
                      "emscripten __cxa_rethrow: no exception to rethrow");
  Header header{call.memory.word()};
  const uint64_t ptr = state.caught.back();
  bool rethrown = false;
  if (Status s = read_flag(call, ptr, header.rethrown(), &rethrown); !s)
    return s;
  if (rethrown) {
    state.caught.pop_back();
  } else {
    if (Status s = write_flag(call, ptr, header.rethrown(), true); !s)
      return s;
    if (Status s = write_flag(call, ptr, header.caught(), false); !s)
      return s;
    ++state.uncaught;
  }
  state.exception_last = ptr;
  return unwind(state, kThrowMessage);
}

Status cxa_begin_catch(Call &call) {
  EmscriptenState &state = call.state;
  Header header{call.memory.word()};
  const uint64_t ptr = call.arg(0);
  bool caught = false;
  if (Status s = read_flag(call, ptr, header.caught(), &caught); !s)
    return s;
  if (!caught) {
    if (Status s = write_flag(call, ptr, header.caught(), true); !s)
      return s;
    if (state.uncaught > 0)
      --state.uncaught;
  }
  if (Status s = write_flag(call, ptr, header.rethrown(), false); !s)
    return s;
  state.caught.push_back(ptr);
  if (Status s = refcount(call, "__cxa_increment_exception_refcount", ptr); !s)
    return s;
  uint64_t out = 0;
  if (Status s = exception_ptr(call, ptr, &out); !s)
    return s;
  call.result(static_cast<int64_t>(out));
  return {};
}

Status cxa_end_catch(Call &call) {
  EmscriptenState &state = call.state;
  bool found = false;
  if (Status s = call_export(call, {"setThrew", "_setThrew"}, {0, 0}, &found);
      !s)
    return s;
  if (state.caught.empty())
    return make_error(ErrorKind::trap,
                      "emscripten __cxa_end_catch: no catch in progress");
  const uint64_t ptr = state.caught.back();
  state.caught.pop_back();
  state.exception_last = 0;
  return refcount(call, "__cxa_decrement_exception_refcount", ptr);
}

Status cxa_get_exception_ptr(Call &call) {
  uint64_t out = 0;
  if (Status s = exception_ptr(call, call.arg(0), &out); !s)
    return s;
  call.result(static_cast<int64_t>(out));
  return {};
}

Status cxa_uncaught_exceptions(Call &call) {
  call.result(call.state.uncaught);
  return {};
}

Status cxa_call_unexpected(Call &) {
  return make_error(ErrorKind::trap,
                    "emscripten __cxa_call_unexpected: an exception broke a "
                    "dynamic exception specification");
}

Status cxa_current_primary_exception(Call &call) {
  if (call.state.caught.empty()) {
    call.result(0);
    return {};
  }
  const uint64_t ptr = call.state.caught.back();
  if (Status s = refcount(call, "__cxa_increment_exception_refcount", ptr); !s)
    return s;
  call.result(static_cast<int64_t>(ptr));
  return {};
}

Status cxa_rethrow_primary_exception(Call &call) {
  const uint64_t ptr = call.arg(0);
  if (ptr == 0)
    return {};
  Header header{call.memory.word()};
  if (Status s = write_flag(call, ptr, header.rethrown(), true); !s)
    return s;
  call.state.caught.push_back(ptr);
  return cxa_rethrow(call);
}

Status cxa_find_matching_catch(Call &call) {
  EmscriptenState &state = call.state;
  const uint64_t thrown = state.exception_last;
  state.temp_ret0 = 0;
  call.result(static_cast<int64_t>(thrown));
  if (thrown == 0)
    return {};
  Header header{call.memory.word()};
  if (Status s = write_word(call, thrown, header.adjusted(), thrown); !s)
    return s;
  uint64_t thrown_type = 0;
  if (Status s = read_word(call, thrown, header.type(), &thrown_type); !s)
    return s;
  if (thrown_type == 0)
    return {};
  uint64_t adjusted_at = 0;
  field_at(call, thrown, header.adjusted(), &adjusted_at);
  for (size_t i = 0; i < call.import.func.params.size(); ++i) {
    const uint64_t type = call.arg(i);
    if (type == 0 || type == thrown_type)
      break;
    bool found = false;
    uint64_t can = 0;
    if (Status s = call_export(call, {"__cxa_can_catch"},
                               {type, thrown_type, adjusted_at}, &found, &can);
        !s)
      return s;
    if (found && can != 0) {
      state.temp_ret0 = static_cast<int32_t>(type);
      return {};
    }
  }
  state.temp_ret0 = static_cast<int32_t>(thrown_type);
  return {};
}

Status resume_exception(Call &call) {
  if (call.state.exception_last == 0)
    call.state.exception_last = call.arg(0);
  return unwind(call.state, kThrowMessage);
}

Status throw_longjmp(Call &call) { return unwind(call.state, kLongjmpMessage); }

Status eh_typeid_for(Call &call) {
  call.result(static_cast<int64_t>(call.arg(0)));
  return {};
}

} // namespace hb_beamr::emscripten_detail
