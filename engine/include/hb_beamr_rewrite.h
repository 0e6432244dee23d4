/* The engine crate's module rewriter (engine/src/rewrite, engine/src/ffi.rs).
 *
 * Wasmtime implements only the standard exception-handling instructions
 * (try_table, throw_ref, exnref); Emscripten emits the legacy ones
 * (try/catch/catch_all/delegate/rethrow). The core rewrites such modules at
 * load time, before handing them to Wasmtime. Modules without legacy
 * exception handling are left alone.
 *
 * All functions are thread-safe: they keep no state between calls. */
#ifndef HB_BEAMR_REWRITE_H
#define HB_BEAMR_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes of hb_beamr_rewrite_legacy_eh. */
enum {
  /* No legacy exception handling: nothing was allocated, use the input. */
  HB_BEAMR_REWRITE_UNCHANGED = 0,
  /* Rewritten: *out / *out_size hold the new module. */
  HB_BEAMR_REWRITE_DONE = 1,
  /* Malformed or invalid module (or bad arguments): *error says why. */
  HB_BEAMR_REWRITE_ERROR = -1
};

/* Rewrites the legacy exception-handling instructions of the module
 * wasm[0..size) into the standard ones.
 *
 * `wasm` is borrowed for the call only; it may be NULL when `size` is 0.
 * `out`, `out_size` and `error` must not be NULL (if one is, the call returns
 * HB_BEAMR_REWRITE_ERROR without writing anything). On entry the function
 * sets *out = NULL, *out_size = 0, *error = NULL, then:
 *  - HB_BEAMR_REWRITE_UNCHANGED: the module has no legacy exception
 *    handling; the outputs stay NULL/0 and the caller uses its own bytes.
 *  - HB_BEAMR_REWRITE_DONE: *out points to *out_size bytes owned by the
 *    caller, to be released with hb_beamr_rewrite_free_bytes(*out, *out_size).
 *  - HB_BEAMR_REWRITE_ERROR: *error points to a NUL-terminated message owned
 *    by the caller, to be released with hb_beamr_rewrite_free_error(*error).
 *    When the problem is inside a function body the message names the
 *    function index and byte offset, e.g. "invalid legacy exception handling
 *    in function 12 at offset 0x1a2b: ...".
 * The input is validated before it is rewritten. Never aborts on bad input. */
int hb_beamr_rewrite_legacy_eh(const uint8_t *wasm, size_t size, uint8_t **out,
                               size_t *out_size, char **error);

/* Releases a module returned in *out, with the size returned in *out_size.
 * Takes ownership; NULL is ignored. Never pass bytes from another source. */
void hb_beamr_rewrite_free_bytes(uint8_t *bytes, size_t size);

/* Releases a message returned in *error. Takes ownership; NULL is ignored. */
void hb_beamr_rewrite_free_error(char *error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HB_BEAMR_REWRITE_H */
