// The WAMR adapter's traps: WAMR's texts in the spec's wording, and traps
// tied to the store of the call in progress.
#include <cstring>

#include "wamr/adapter.hpp"

namespace hb_beamr::engine {

// ---------------------------------------------------------------------------
// Traps.

// WAMR's texts ("Exception: integer divide by zero") in the spec's wording,
// as the Wasmtime adapter reports them.
std::string spec_text(std::string text) {
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  for (bool again = true; again;) {
    again = false;
    for (const char *prefix : {"wasm_instance_new_with_args_ex failed: ",
                               "WASM module instantiate failed: ",
                               "WASM module load failed: ", "Exception: "})
      if (text.rfind(prefix, 0) == 0) {
        text.erase(0, std::strlen(prefix));
        again = true;
      }
  }
  static const struct {
    const char *wamr;
    const char *spec;
  } renames[] = {
      {"wasm operand stack overflow", "call stack exhausted"},
      {"native stack overflow", "call stack exhausted"},
      {"undefined element", "undefined element: out of bounds table access"},
      {"out of bounds table access",
       "undefined element: out of bounds table access"},
      {"unaligned atomic", "misaligned memory access"},
      {"terminated by user", "interrupted"},
      {"instruction limit exceeded", "all fuel consumed"},
      {"uncaught wasm exception",
       "uncaught wasm exception: no handler caught it before it reached the "
       "host"},
  };
  for (const auto &r : renames)
    if (text == r.wamr)
      return r.spec;
  return text;
}

std::string message_of(const wasm_trap_t *trap) {
  wasm_message_t vec;
  std::memset(&vec, 0, sizeof vec);
  wasm_trap_message(trap, &vec);
  std::string text(name_text(&vec));
  wasm_byte_vec_delete(&vec);
  return text;
}

wasm_trap_t *make_trap(wasm_store_t *store, std::string_view message) {
  wasm_message_t vec;
  std::memset(&vec, 0, sizeof vec);
  wasm_byte_vec_new(&vec, message.size(), message.data());
  wasm_trap_t *trap = wasm_trap_new(store, &vec);
  wasm_byte_vec_delete(&vec);
  return trap;
}
thread_local wasm_store_t *current_store = nullptr;

wasm_trap_t *new_trap(void *store, std::string_view message) {
  wasm_store_t *s =
      store != nullptr ? static_cast<wasm_store_t *>(store) : current_store;
  // Outside any instantiation or call there is no store to tie a trap to
  // (nor anything to return it to).
  return s != nullptr ? make_trap(s, message) : nullptr;
}

std::string trap_text(const wasm_trap_t *trap) { return message_of(trap); }

} // namespace hb_beamr::engine
