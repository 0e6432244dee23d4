/* WAMR ships the standard WebAssembly C API under the name wasm_c_api.h; the
 * hb_beamr core includes it as <wasm.h>, as every other engine names it. */
#ifndef HB_BEAMR_WAMR_WASM_H
#define HB_BEAMR_WAMR_WASM_H
#include "wasm_c_api.h"
#endif
