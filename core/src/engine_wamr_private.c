// The WAMR adapter's uses of WAMR's private layout (see wamr/adapter.hpp).
//
// Compiled against WAMR's own internal headers from the pinned wamrx-sys
// sources, with exactly the definitions WAMR itself was compiled with
// (hb_beamr::wamr_internal), so the compiler checks every field's name and
// type and computes its offset for this very build; nothing is re-declared.
// Kept in C: WAMR's internal headers are not meant for C++.
//
// - WAMR's wasm.h instance keeps the runtime instance that wasm_export.h
//   works on (wasm_runtime_terminate, wasm_runtime_call_wasm, ...) in the
//   private field inst_comm_rt and offers no accessor for it.
//   engine/CMakeLists.txt stops the configure if the definition of
//   struct wasm_instance_t changes, so that this file is looked at again.
// - An execution environment's interpreter stack (its wasm_stack bounds),
//   which wasm_export.h does not report either.
#include "wasm_c_api_internal.h"

wasm_module_inst_t
hb_beamr_wamr_runtime_instance(const wasm_instance_t *instance) {
  return instance != NULL ? instance->inst_comm_rt : NULL;
}

void hb_beamr_wamr_free_stack(wasm_exec_env_t exec_env, uint8_t **begin,
                              uint8_t **end) {
  *begin = exec_env->wasm_stack.top;
  *end = exec_env->wasm_stack.top_boundary;
}
