/* hb_beamr_capi_lib.h: the C facade of hb_beamr_lib.
 *
 * Every function that can fail returns an hb_beamr_capi_lib_rc_t; the message
 * of the last failure on a context is kept in that context and read with
 * hb_beamr_capi_lib_get_last_error(). Nothing is global but the runtime, and
 * nothing is thrown across this boundary.
 *
 * Thread rules: the runtime functions are thread-safe. A context may be used
 * from any thread, but from one thread at a time.
 *
 * Conventions: a NULL context makes any function return INVALID_ARGUMENT
 * (and getters return 0/NULL/UNINITIALIZED). Import/export description
 * strings are owned by the context and valid until it is destroyed; the
 * get_last_error string is valid until the next call on the context.
 */
#ifndef HB_BEAMR_CAPI_LIB_H
#define HB_BEAMR_CAPI_LIB_H

#include <stddef.h>
#include <stdint.h>

#include <wasm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. They mean the same on every engine. */
typedef enum {
  HB_BEAMR_CAPI_LIB_SUCCESS = 0,
  HB_BEAMR_CAPI_LIB_ERROR_ALLOCATION_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_RUNTIME_INIT_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_LOAD_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_INSTANTIATE_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_FUNCTION_LOOKUP_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_CALL_FAILED, /* a trap; see get_last_error */
  HB_BEAMR_CAPI_LIB_ERROR_INVALID_STATE,
  HB_BEAMR_CAPI_LIB_ERROR_NATIVE_LINKING_FAILED,
  HB_BEAMR_CAPI_LIB_ERROR_INVALID_ARGUMENT,
  HB_BEAMR_CAPI_LIB_ERROR_OUT_OF_BOUNDS,
  HB_BEAMR_CAPI_LIB_ERROR_UNSUPPORTED,
  HB_BEAMR_CAPI_LIB_ERROR_INTERRUPTED, /* hb_beamr_capi_lib_interrupt() */
  HB_BEAMR_CAPI_LIB_ERROR_TIMEOUT,     /* the call's time limit passed */
} hb_beamr_capi_lib_rc_t;

/* The original library's names for the codes above, from when WAMR was its
 * only engine. Kept so that existing C code still compiles; they are
 * returned on every engine. New code should use the names above. */
#define HB_BEAMR_CAPI_LIB_ERROR_WAMR_RUNTIME_INIT_FAILED                       \
  HB_BEAMR_CAPI_LIB_ERROR_RUNTIME_INIT_FAILED
#define HB_BEAMR_CAPI_LIB_ERROR_WAMR_LOAD_FAILED                               \
  HB_BEAMR_CAPI_LIB_ERROR_LOAD_FAILED
#define HB_BEAMR_CAPI_LIB_ERROR_WAMR_INSTANTIATE_FAILED                        \
  HB_BEAMR_CAPI_LIB_ERROR_INSTANTIATE_FAILED
#define HB_BEAMR_CAPI_LIB_ERROR_WAMR_FUNCTION_LOOKUP_FAILED                    \
  HB_BEAMR_CAPI_LIB_ERROR_FUNCTION_LOOKUP_FAILED
#define HB_BEAMR_CAPI_LIB_ERROR_WAMR_CALL_FAILED                               \
  HB_BEAMR_CAPI_LIB_ERROR_CALL_FAILED

/* Context (and runtime) states; see the README's state diagram. */
typedef enum {
  HB_BEAMR_CAPI_LIB_STATE_UNINITIALIZED = 0,
  HB_BEAMR_CAPI_LIB_STATE_RUNTIME_INITIALIZED,
  HB_BEAMR_CAPI_LIB_STATE_CONTEXT_CREATED,
  HB_BEAMR_CAPI_LIB_STATE_MODULE_LOADED,
  HB_BEAMR_CAPI_LIB_STATE_INSTANTIATED,
  HB_BEAMR_CAPI_LIB_STATE_RUNNING_EXPORT,
  HB_BEAMR_CAPI_LIB_STATE_AWAITING_IMPORT,
  HB_BEAMR_CAPI_LIB_STATE_TRAPPED,
  HB_BEAMR_CAPI_LIB_STATE_DESTROYED,
  HB_BEAMR_CAPI_LIB_STATE_RUNTIME_DESTROYED,
} hb_beamr_capi_lib_state_t;

/* Kinds of imports and exports. The values are fixed; new kinds are added at
 * the end. A tag (exception tag) has the signature of its parameters,
 * "(iI)"; WAMR builds never list tags. */
typedef enum {
  HB_BEAMR_CAPI_EXTERN_FUNC = 0,
  HB_BEAMR_CAPI_EXTERN_GLOBAL = 1,
  HB_BEAMR_CAPI_EXTERN_TABLE = 2,
  HB_BEAMR_CAPI_EXTERN_MEMORY = 3,
  HB_BEAMR_CAPI_EXTERN_TAG = 4,
} hb_beamr_capi_extern_kind_t;

/* Opaque handle for one WebAssembly instance and everything it owns. */
typedef struct hb_beamr_capi_lib_context hb_beamr_capi_lib_context_t;

/* Description of the import a host function is answering. Borrowed; valid
 * during the callback. `signature` is e.g. "(iI)f". */
typedef struct {
  const char *module_name;
  const char *function_name;
  const char *signature;
} hb_beamr_capi_import_info_t;

/* A host function. Fill `results` (types as in `import->signature`; they
 * arrive zeroed with the right kinds, and a result left with another kind
 * makes the caller trap) and return NULL, or return a trap made with
 * hb_beamr_capi_lib_trap_new() to make the WebAssembly caller trap with that
 * message. The callback may call exports of `ctx` again (nested calls) and
 * access its memory. `user_data` is the pointer given with the function. */
typedef wasm_trap_t *(*hb_beamr_capi_host_function_t)(
    hb_beamr_capi_lib_context_t *ctx, const hb_beamr_capi_import_info_t *import,
    const wasm_val_t *args, size_t num_args, wasm_val_t *results,
    size_t num_results, void *user_data);

/* A host function for one (module, name) import. `user_function` is an
 * hb_beamr_capi_host_function_t; `user_data` is passed to it. */
typedef struct {
  const char *import_module_name;
  const char *import_function_name;
  void *user_function;
  void *user_data;
} hb_beamr_capi_native_symbol_t;

/* One import or export. Strings are owned by the context. */
typedef struct {
  hb_beamr_capi_extern_kind_t kind;
  const char *module_name; /* "" for exports */
  const char *name;
  const char *signature;
} hb_beamr_capi_extern_desc_t;

/* ---- Runtime ---------------------------------------------------------- */

/* Creates the process-wide engine. `config` may be NULL and is consumed. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_init_runtime_global(wasm_config_t *config);
/* Releases the engine; live contexts move to RUNTIME_DESTROYED. */
void hb_beamr_capi_lib_destroy_runtime_global(void);
/* UNINITIALIZED, RUNTIME_INITIALIZED or RUNTIME_DESTROYED. */
hb_beamr_capi_lib_state_t hb_beamr_capi_lib_runtime_state(void);
/* "wasmtime" or "wamr". */
const char *hb_beamr_capi_lib_engine_name(void);

/* ---- Contexts --------------------------------------------------------- */

/* Limits and modes of a context; zero means the default (4 GiB of memory;
 * no fuel limit; the engine's table and stack defaults), UINT64_MAX in
 * max_memory_bytes or max_table_elements lifts the default. See
 * hb_beamr::ContextOptions in hb_beamr/context.hpp for each field. */
typedef struct {
  uint64_t max_memory_bytes;   /* memory.grow past it fails in wasm */
  uint64_t max_table_elements; /* table.grow past it fails in wasm */
  uint64_t fuel_per_call;      /* out of fuel: trap "all fuel consumed" */
  uint64_t max_stack_bytes;    /* native stack for wasm (<= 64 MiB) */
  int deterministic;           /* nonzero: canonical NaNs, replayable */
} hb_beamr_capi_context_options_t;

/* A new context (CONTEXT_CREATED, or UNINITIALIZED without a runtime).
 * NULL only when memory is exhausted. */
hb_beamr_capi_lib_context_t *hb_beamr_capi_lib_create_context(void);
/* Like create_context, with limits. Options the engine cannot honour make
 * loading fail with UNSUPPORTED (or INVALID_ARGUMENT for a bad value). */
hb_beamr_capi_lib_context_t *hb_beamr_capi_lib_create_context_with_options(
    const hb_beamr_capi_context_options_t *options);
/* Destroys a context and everything it owns. NULL is ignored. Called from a
 * host function of the same context, it marks the context DESTROYED and the
 * memory is released when the outermost call returns. */
void hb_beamr_capi_lib_destroy_context(hb_beamr_capi_lib_context_t *ctx);
/* Message of the last failure on `ctx` ("" if none). Never NULL. Valid until
 * the next call on `ctx`. */
const char *hb_beamr_capi_lib_get_last_error(hb_beamr_capi_lib_context_t *ctx);
/* Current state of `ctx`. */
hb_beamr_capi_lib_state_t
hb_beamr_capi_lib_get_state(hb_beamr_capi_lib_context_t *ctx);
/* Upper-case name of a state / of a return code. */
const char *hb_beamr_capi_lib_state_name(hb_beamr_capi_lib_state_t state);
const char *hb_beamr_capi_lib_rc_name(hb_beamr_capi_lib_rc_t rc);
/* Engine store handle (wasmtime_context_t* on Wasmtime, wasm_store_t* on
 * WAMR), NULL before instantiation. Borrowed. */
void *hb_beamr_capi_lib_context_get_store(hb_beamr_capi_lib_context_t *ctx);

/* ---- Modules and instances -------------------------------------------- */

/* Compiles a WebAssembly binary into `ctx`. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_load_wasm_module(hb_beamr_capi_lib_context_t *ctx,
                                   const uint8_t *wasm_binary_buf,
                                   uint32_t wasm_binary_size);
/* Loads a module precompiled with hb_beamr_capi_lib_serialize_module(). */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_load_precompiled_module(hb_beamr_capi_lib_context_t *ctx,
                                          const uint8_t *buf, size_t size);
/* Serializes the loaded module. On success *out is a new byte vector the
 * caller frees with wasm_byte_vec_delete(). */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_serialize_module(hb_beamr_capi_lib_context_t *ctx,
                                   wasm_byte_vec_t *out);

/* Number of imports/exports of the loaded module, and one of them. */
size_t hb_beamr_capi_lib_import_count(hb_beamr_capi_lib_context_t *ctx);
size_t hb_beamr_capi_lib_export_count(hb_beamr_capi_lib_context_t *ctx);
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_import_at(hb_beamr_capi_lib_context_t *ctx, size_t index,
                            hb_beamr_capi_extern_desc_t *out);
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_export_at(hb_beamr_capi_lib_context_t *ctx, size_t index,
                            hb_beamr_capi_extern_desc_t *out);

/* Instantiates the loaded module. Function imports named in
 * `override_symbols` go to their user_function; every other function import
 * goes to `default_import_function` (an hb_beamr_capi_host_function_t). If it
 * is NULL, such imports are left unlinked: instantiation succeeds, and
 * calling one traps (CALL_FAILED, "unlinked import MODULE.NAME called"). */
hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_instantiate(
    hb_beamr_capi_lib_context_t *ctx, void *default_import_function,
    const hb_beamr_capi_native_symbol_t *override_symbols,
    uint32_t num_override_symbols);

/* ---- Calls ------------------------------------------------------------ */

/* Calls an export by name. `args` must match the parameters in number and
 * kind; `num_results` must equal the result count. A trap returns
 * CALL_FAILED with the trap text in get_last_error. If a host function
 * destroyed `ctx` during the call, the call returns INVALID_STATE and `ctx`
 * is already freed. */
hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_call_export(
    hb_beamr_capi_lib_context_t *ctx, const char *func_name, uint32_t num_args,
    wasm_val_t args[], uint32_t num_results, wasm_val_t results[]);
/* Calls entry `table_index` of the exported function table. An index past
 * the table's end or a null entry returns INVALID_ARGUMENT before anything
 * runs. */
hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_call_indirect(
    hb_beamr_capi_lib_context_t *ctx, uint64_t table_index, uint32_t num_args,
    wasm_val_t args[], uint32_t num_results, wasm_val_t results[]);
/* Stops the running call of `ctx` (or else its next one) with INTERRUPTED.
 * The only function that may be called from another thread while `ctx` is in
 * use. The instance stays usable. */
void hb_beamr_capi_lib_interrupt(hb_beamr_capi_lib_context_t *ctx);
/* Limits each later top-level call to `milliseconds` (0: none); a call past
 * it returns TIMEOUT. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_set_call_timeout(hb_beamr_capi_lib_context_t *ctx,
                                   uint64_t milliseconds);
/* ---- Suspendable calls ------------------------------------------------
 * A context instantiated with hb_beamr_capi_lib_instantiate_suspending()
 * runs calls that stop instead of blocking: at a function import, which the
 * caller answers later with hb_beamr_capi_lib_resolve_import(), and when a
 * time slice ends. Only engines that can suspend a call support it
 * (hb_beamr_capi_lib_can_suspend(); Wasmtime yes, WAMR no). */

/* Where a suspendable call stands. */
typedef enum {
  HB_BEAMR_CAPI_CALL_FINISHED = 0,    /* results: take_results() */
  HB_BEAMR_CAPI_CALL_AWAITING_IMPORT, /* see pending_import() */
  HB_BEAMR_CAPI_CALL_YIELDED,         /* its slice ended: resume() */
} hb_beamr_capi_call_progress_t;

/* 1 if this build's engine can suspend calls, else 0. */
int hb_beamr_capi_lib_can_suspend(void);
/* Instantiates the loaded module for suspendable calls. Imports called by
 * the start function get `start_import_function` (an
 * hb_beamr_capi_host_function_t; NULL: zeros of their result types).
 * Returns UNSUPPORTED on engines that cannot suspend. call_export() and
 * call_indirect() are refused on such a context. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_instantiate_suspending(hb_beamr_capi_lib_context_t *ctx,
                                         void *start_import_function);
/* Starts a call of export `func_name` (or, with func_name NULL, of entry
 * `table_index` of the function table) and runs it for about
 * `slice_microseconds`. At top level (INSTANTIATED, TRAPPED) or nested in
 * an awaited import (AWAITING_IMPORT). A trap or other failure returns its
 * code as call_export() would and ends that call. */
hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_start_call(
    hb_beamr_capi_lib_context_t *ctx, const char *func_name,
    uint64_t table_index, uint32_t num_args, const wasm_val_t args[],
    uint64_t slice_microseconds, hb_beamr_capi_call_progress_t *out_progress);
/* Continues the innermost call after a yield or an answered import. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_resume(hb_beamr_capi_lib_context_t *ctx,
                         uint64_t slice_microseconds,
                         hb_beamr_capi_call_progress_t *out_progress);
/* The import the innermost call waits for: its description and arguments
 * (borrowed, valid until the next call on ctx). INVALID_STATE if none. */
hb_beamr_capi_lib_rc_t hb_beamr_capi_lib_pending_import(
    hb_beamr_capi_lib_context_t *ctx, hb_beamr_capi_import_info_t *out_info,
    uint32_t *out_num_args, const wasm_val_t **out_args);
/* Answers the awaited import with `results`, which must match its result
 * types (INVALID_ARGUMENT otherwise, and the import keeps waiting); then
 * resume() continues the call. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_resolve_import(hb_beamr_capi_lib_context_t *ctx,
                                 uint32_t num_results,
                                 const wasm_val_t results[]);
/* Makes the awaited import trap with `message`; resume() unwinds. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_reject_import(hb_beamr_capi_lib_context_t *ctx,
                                const char *message);
/* Copies the results of the call that last finished. `num_results` must be
 * its result count. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_take_results(hb_beamr_capi_lib_context_t *ctx,
                               uint32_t num_results, wasm_val_t results[]);
/* Unwinds every suspended call of ctx (state TRAPPED; ctx stays usable). */
void hb_beamr_capi_lib_abandon_calls(hb_beamr_capi_lib_context_t *ctx);

/* Makes a trap carrying `message`, for a host function to return. */
wasm_trap_t *hb_beamr_capi_lib_trap_new(hb_beamr_capi_lib_context_t *ctx,
                                        const char *message);

/* ---- Memory and globals ----------------------------------------------- */

/* Size in bytes of the default memory. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_size(hb_beamr_capi_lib_context_t *ctx,
                              uint64_t *out_bytes);
/* Bounds-checked copies out of / into the default memory. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_read(hb_beamr_capi_lib_context_t *ctx, uint64_t offset,
                              void *out, size_t length);
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_write(hb_beamr_capi_lib_context_t *ctx,
                               uint64_t offset, const void *data,
                               size_t length);
/* Grows the default memory by `delta_pages` 64 KiB pages; *out_old_pages
 * (may be NULL) receives the previous size in pages. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_memory_grow(hb_beamr_capi_lib_context_t *ctx,
                              uint64_t delta_pages, uint64_t *out_old_pages);
/* Reads / writes an exported global. Writing an immutable global or a value
 * of the wrong kind returns INVALID_ARGUMENT; an unknown name or an export
 * that is not a global, FUNCTION_LOOKUP_FAILED. */
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_global_get(hb_beamr_capi_lib_context_t *ctx, const char *name,
                             wasm_val_t *out);
hb_beamr_capi_lib_rc_t
hb_beamr_capi_lib_global_set(hb_beamr_capi_lib_context_t *ctx, const char *name,
                             const wasm_val_t *value);

#ifdef __cplusplus
}
#endif

#endif /* HB_BEAMR_CAPI_LIB_H */
