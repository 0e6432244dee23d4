/* The engine crate's preparation of modules for WAMR (engine/src/prepare,
 * engine/src/ffi.rs).
 *
 * WAMR's wasm.h cannot tell some things the WAMR adapter needs (exact memory
 * and table limits, memory64, exports with their kinds and indices), and
 * WAMR loads some modules in a way hb_beamr cannot use. Before WAMR sees a
 * module, the adapter has it scanned here and, where needed, changed:
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

#ifdef __cplusplus
extern "C" {
#endif

/* The name a prepared module exports its start function under. */
#define HB_BEAMR_WAMR_START_EXPORT "__hb_beamr_start"

/* Kinds of imports and exports, numbered as in the binary format. */
enum {
  HB_BEAMR_WAMR_KIND_FUNC = 0,
  HB_BEAMR_WAMR_KIND_TABLE = 1,
  HB_BEAMR_WAMR_KIND_MEMORY = 2,
  HB_BEAMR_WAMR_KIND_GLOBAL = 3
};

/* The limits of a memory or table, as the binary declares them. */
typedef struct hb_beamr_wamr_limits_t {
  uint64_t min;
  uint64_t max; /* 0 unless has_max */
  bool has_max;
  bool is64; /* memory64 (or a table with 64-bit indices) */
} hb_beamr_wamr_limits_t;

/* One export. `name` is not NUL-terminated and need not be UTF-8. */
typedef struct hb_beamr_wamr_export_t {
  const uint8_t *name;
  size_t name_size;
  uint8_t kind; /* HB_BEAMR_WAMR_KIND_*, or a kind the scan does not know */
  uint32_t index;
} hb_beamr_wamr_export_t;

/* What hb_beamr_wamr_prepare found and made. Every array is NULL when its
 * count is 0. When `understood` is false (a module the scan does not
 * understand: bad header, truncated, unknown or out-of-order sections, an
 * unknown import kind) every array is empty and every flag false. */
typedef struct hb_beamr_wamr_module_info_t {
  bool understood;
  /* `tables` is complete (false when a table has an initializer
   * expression, which the scan does not read). */
  bool limits_known;
  /* `module` exports the start function as HB_BEAMR_WAMR_START_EXPORT
   * instead of having a start section. Never true without `module`. */
  bool deferred_start;
  /* The kind of every import but tags, in module order. */
  const uint8_t *import_kinds;
  size_t import_count;
  /* Imported, then defined. */
  const hb_beamr_wamr_limits_t *tables;
  size_t table_count;
  /* Imported, then defined. */
  const hb_beamr_wamr_limits_t *memories;
  size_t memory_count;
  /* In module order, tag exports left out. */
  const hb_beamr_wamr_export_t *exports;
  size_t export_count;
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
