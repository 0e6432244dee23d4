/* The engine crate's scan of module binaries (engine/src/prepare/scan.rs,
 * engine/src/ffi.rs), for both engines.
 *
 * wasm.h cannot tell some things the adapters need: Wasmtime's C API aborts
 * the process on a table64's limits past 2^32, and WAMR's reports neither
 * memory64 nor the kinds and indices of exports. The scan reads them from
 * the binary: the kinds of the imports, the exact limits of every table and
 * memory, and the exports.
 *
 * All functions are thread-safe: they keep no state between calls. */
#ifndef HB_BEAMR_MODULE_SCAN_H
#define HB_BEAMR_MODULE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of imports and exports, numbered as in the binary format. */
enum {
  HB_BEAMR_KIND_FUNC = 0,
  HB_BEAMR_KIND_TABLE = 1,
  HB_BEAMR_KIND_MEMORY = 2,
  HB_BEAMR_KIND_GLOBAL = 3
};

/* The limits of a memory or table, as the binary declares them. */
typedef struct hb_beamr_limits_t {
  uint64_t min;
  uint64_t max; /* 0 unless has_max */
  bool has_max;
  bool is64; /* memory64 (or a table with 64-bit indices) */
} hb_beamr_limits_t;

/* One export. `name` is not NUL-terminated and need not be UTF-8. */
typedef struct hb_beamr_export_t {
  const uint8_t *name;
  size_t name_size;
  uint8_t kind; /* HB_BEAMR_KIND_*, or a kind the scan does not know */
  uint32_t index;
} hb_beamr_export_t;

/* What the scan read. Every array is NULL when its count is 0. When
 * `understood` is false (a module the scan does not understand: bad header,
 * truncated, unknown or out-of-order sections, an unknown import kind or
 * another encoding the scan does not know) every array is empty and every
 * flag false. */
typedef struct hb_beamr_module_scan_info_t {
  bool understood;
  /* `tables` is complete (false when a table's initializer expression
   * holds an instruction the scan does not know). */
  bool limits_known;
  /* The kind of every import but tags, in module order. */
  const uint8_t *import_kinds;
  size_t import_count;
  /* Imported, then defined: indexed by table index. */
  const hb_beamr_limits_t *tables;
  size_t table_count;
  /* Imported, then defined: indexed by memory index. */
  const hb_beamr_limits_t *memories;
  size_t memory_count;
  /* In module order, tag exports left out. */
  const hb_beamr_export_t *exports;
  size_t export_count;
} hb_beamr_module_scan_info_t;

/* Owns a scan. */
typedef struct hb_beamr_module_scan_t hb_beamr_module_scan_t;

/* Scans the module wasm[0..size).
 *
 * `wasm` is borrowed for the call only; NULL (or size 0) is a module the
 * scan does not understand. Returns a new handle, never NULL, owned by the
 * caller and released with hb_beamr_module_scan_free. The module is not
 * validated. Never aborts on bad input. */
hb_beamr_module_scan_t *hb_beamr_module_scan(const uint8_t *wasm, size_t size);

/* What `scan` holds, owned by it: valid until it is freed. NULL for NULL. */
const hb_beamr_module_scan_info_t *
hb_beamr_module_scan_info(const hb_beamr_module_scan_t *scan);

/* Releases a handle from hb_beamr_module_scan. Takes ownership; NULL is
 * ignored. */
void hb_beamr_module_scan_free(hb_beamr_module_scan_t *scan);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HB_BEAMR_MODULE_SCAN_H */
