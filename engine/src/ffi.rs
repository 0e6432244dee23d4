//! The C ABI of the module rewriter (declared in
//! `engine/include/hb_beamr_rewrite.h`), called by the C++ core before it
//! hands a module to Wasmtime.
//!
//! Memory crosses the boundary only as buffers allocated here and freed by
//! the matching `hb_beamr_rewrite_free_*` function. Nothing here panics or
//! unwinds into C.

use std::ffi::{c_char, c_int, CString};

use crate::rewrite::{rewrite_legacy_eh, Outcome};

/// The module has no legacy exception handling: use the original bytes.
pub const HB_BEAMR_REWRITE_UNCHANGED: c_int = 0;
/// The module was rewritten: `*out`/`*out_size` hold the new module.
pub const HB_BEAMR_REWRITE_DONE: c_int = 1;
/// The module could not be rewritten: `*error` holds the reason.
pub const HB_BEAMR_REWRITE_ERROR: c_int = -1;

/// Rewrites legacy exception handling in `wasm[0..size]` into the standard
/// form. See `hb_beamr_rewrite.h` for the contract.
///
/// # Safety
/// `wasm` must point to `size` readable bytes (it may be null when `size` is
/// 0). `out`, `out_size` and `error` must each be null or point to writable
/// storage; with any of them null the call fails without writing anything.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_rewrite_legacy_eh(
    wasm: *const u8,
    size: usize,
    out: *mut *mut u8,
    out_size: *mut usize,
    error: *mut *mut c_char,
) -> c_int {
    if out.is_null() || out_size.is_null() || error.is_null() {
        return HB_BEAMR_REWRITE_ERROR;
    }
    // SAFETY: the three pointers were checked above; the caller promises
    // they point to writable storage.
    unsafe {
        *out = std::ptr::null_mut();
        *out_size = 0;
        *error = std::ptr::null_mut();
    }
    let input: &[u8] = if size == 0 {
        &[]
    } else if wasm.is_null() {
        // SAFETY: as above.
        unsafe { *error = error_message("null module pointer with a non-zero size") };
        return HB_BEAMR_REWRITE_ERROR;
    } else {
        // SAFETY: the caller promises `size` readable bytes at `wasm`.
        unsafe { std::slice::from_raw_parts(wasm, size) }
    };
    match rewrite_legacy_eh(input) {
        Ok(Outcome::Unchanged) => HB_BEAMR_REWRITE_UNCHANGED,
        Ok(Outcome::Rewritten(bytes)) => {
            let bytes = bytes.into_boxed_slice();
            let len = bytes.len();
            // SAFETY: as above. Ownership passes to the caller until
            // `hb_beamr_rewrite_free_bytes(ptr, len)`.
            unsafe {
                *out_size = len;
                *out = Box::into_raw(bytes).cast::<u8>();
            }
            HB_BEAMR_REWRITE_DONE
        }
        Err(reason) => {
            // SAFETY: as above.
            unsafe { *error = error_message(reason.message()) };
            HB_BEAMR_REWRITE_ERROR
        }
    }
}

/// Frees a module returned by `hb_beamr_rewrite_legacy_eh`.
///
/// # Safety
/// `bytes` must be null or a pointer returned in `*out` together with `size`
/// in `*out_size`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_rewrite_free_bytes(bytes: *mut u8, size: usize) {
    if bytes.is_null() {
        return;
    }
    // SAFETY: the caller passes back exactly what `Box::into_raw` produced.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes, size)) });
}

/// Frees an error message returned by `hb_beamr_rewrite_legacy_eh`.
///
/// # Safety
/// `error` must be null or a pointer returned in `*error`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_rewrite_free_error(error: *mut c_char) {
    if error.is_null() {
        return;
    }
    // SAFETY: the caller passes back exactly what `CString::into_raw` produced.
    drop(unsafe { CString::from_raw(error) });
}

/// A C string for `message`; interior NULs (a module's names can contain
/// them) become U+FFFD so the message is never cut short or lost.
fn error_message(message: &str) -> *mut c_char {
    let cleaned: String = message
        .chars()
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect();
    CString::new(cleaned).unwrap_or_default().into_raw()
}
