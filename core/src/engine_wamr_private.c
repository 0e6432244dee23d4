// The WAMR adapter's one use of WAMR's private layout (see engine_wamr.cpp).
//
// WAMR's wasm.h instance keeps the runtime instance that wasm_export.h works
// on (wasm_runtime_terminate, wasm_runtime_call_wasm, ...) in the private
// field inst_comm_rt and offers no accessor for it. This file reads it through
// WAMR's own definition, core/iwasm/common/wasm_c_api_internal.h from the
// pinned wamrx-sys sources, so the compiler checks the field's name and type
// and computes its offset; nothing is re-declared. The struct has no members
// that depend on WAMR's build options, and engine/CMakeLists.txt stops the
// configure if its definition ever changes, so that this file is looked at
// again. Kept in C: WAMR's internal headers are not meant for C++.
#include "wasm_c_api_internal.h"

wasm_module_inst_t
hb_beamr_wamr_runtime_instance(const wasm_instance_t *instance) {
  return instance != NULL ? instance->inst_comm_rt : NULL;
}
