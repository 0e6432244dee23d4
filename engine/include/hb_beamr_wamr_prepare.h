/* The engine crate's preparation of modules for WAMR (engine/src/prepare,
 * engine/src/ffi.rs).
 *
 * WAMR's wasm.h cannot tell some things the WAMR adapter needs (exact memory
 * and table limits, memory64, exports with their kinds and indices), and
 * WAMR loads some modules in a way hb_beamr cannot use. Before WAMR sees a
 * module, the adapter has it scanned (see hb_beamr_module_scan.h) and, where
 * needed, changed here:
 *  - a start function is exported as HB_BEAMR_WAMR_START_EXPORT instead of
 *    run by instantiation (unless an export already has that name), so that
 *    the adapter can run it as an interruptible call;
 *  - a module with a memory gets one more function, never exported nor
 *    called, that uses memory.size, so that WAMR does not fix the memory at
 *    its initial size;
 *  - tag exports are dropped (WAMR's wasm.h mishandles them).
 * Types and functions are only appended: every existing index stays.
 *
 * All functions are thread-safe: they keep no state between calls. */
#ifndef HB_BEAMR_WAMR_PREPARE_H
#define HB_BEAMR_WAMR_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_beamr_module_scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The name a prepared module exports its start function under. */
#define HB_BEAMR_WAMR_START_EXPORT "__hb_beamr_start"

/* What hb_beamr_wamr_prepare found and made. */
typedef struct hb_beamr_wamr_module_info_t {
  /* The module's scan, as hb_beamr_module_scan would report it. */
  hb_beamr_module_scan_info_t scan;
  /* `module` exports the start function as HB_BEAMR_WAMR_START_EXPORT
   * instead of having a start section. Never true without `module`. */
  bool deferred_start;
  /* The module as WAMR should load it; NULL (size 0) to load the original
   * bytes unchanged. */
  const uint8_t *module;
  size_t module_size;
} hb_beamr_wamr_module_info_t;

/* Owns a scan and its prepared module. */
typedef struct hb_beamr_wamr_prepared_t hb_beamr_wamr_prepared_t;

/* Scans the module wasm[0..size) and prepares it for WAMR.
 *
 * `wasm` is borrowed for the call only; NULL (or size 0) is a module the
 * scan does not understand. Returns a new handle, never NULL, owned by the
 * caller and released with hb_beamr_wamr_prepared_free. The module is not
 * validated: WAMR does that when it loads it. Never aborts on bad input. */
hb_beamr_wamr_prepared_t *hb_beamr_wamr_prepare(const uint8_t *wasm,
                                                size_t size);

/* What `prepared` holds, owned by it: valid until it is freed. NULL for
 * NULL. */
const hb_beamr_wamr_module_info_t *
hb_beamr_wamr_prepared_info(const hb_beamr_wamr_prepared_t *prepared);

/* Releases a handle from hb_beamr_wamr_prepare. Takes ownership; NULL is
 * ignored. */
void hb_beamr_wamr_prepared_free(hb_beamr_wamr_prepared_t *prepared);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HB_BEAMR_WAMR_PREPARE_H */
