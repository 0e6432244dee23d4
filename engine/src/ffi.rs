//! The C ABI of the module scan and rewriters, called by the C++ core before
//! it hands a module to its engine: the scan of module binaries for both
//! engines (declared in `engine/include/hb_beamr_module_scan.h`), the legacy
//! exception-handling rewriter for Wasmtime (`hb_beamr_rewrite.h`) and the
//! preparation of modules for WAMR (`hb_beamr_wamr_prepare.h`).
//!
//! Memory crosses the boundary only as buffers allocated here and freed by
//! the matching `hb_beamr_rewrite_free_*` function. Nothing here panics or
//! unwinds into C.

use std::ffi::{c_char, c_int, CString};

use crate::prepare::{prepare_for_wamr, scan_module, Export, Limits, Scan};
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

/// `hb_beamr_limits_t`: a memory's or table's limits.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    pub min: u64,
    pub max: u64,
    pub has_max: bool,
    pub is64: bool,
}

/// `hb_beamr_export_t`: one export; the name is not NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScanExport {
    pub name: *const u8,
    pub name_size: usize,
    pub kind: u8,
    pub index: u32,
}

/// `hb_beamr_module_scan_info_t`: everything the scan read. Every array is
/// NULL when its count is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScanInfo {
    pub understood: bool,
    pub limits_known: bool,
    pub import_kinds: *const u8,
    pub import_count: usize,
    pub tables: *const ScanLimits,
    pub table_count: usize,
    pub memories: *const ScanLimits,
    pub memory_count: usize,
    pub exports: *const ScanExport,
    pub export_count: usize,
}

/// `hb_beamr_module_scan_t`: owns what `info` points into. The vectors'
/// heap buffers do not move when the struct does.
pub struct ModuleScan {
    info: ScanInfo,
    _scan: Scan,
    _tables: Vec<ScanLimits>,
    _memories: Vec<ScanLimits>,
    _exports: Vec<ScanExport>,
}

/// Scans `wasm[0..size)`. See `hb_beamr_module_scan.h` for the contract.
///
/// # Safety
/// `wasm` must be null or point to `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_module_scan(wasm: *const u8, size: usize) -> *mut ModuleScan {
    // SAFETY: passed on from the caller.
    let input = unsafe { input_of(wasm, size) };
    Box::into_raw(Box::new(module_scan(scan_module(input))))
}

/// The information behind `scan`, which it owns (null for null).
///
/// # Safety
/// `scan` must be null or a live pointer from `hb_beamr_module_scan`.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_module_scan_info(scan: *const ModuleScan) -> *const ScanInfo {
    if scan.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the caller passes a live pointer from `hb_beamr_module_scan`.
    unsafe { &(*scan).info }
}

/// Frees what `hb_beamr_module_scan` returned.
///
/// # Safety
/// `scan` must be null or a pointer from `hb_beamr_module_scan`, not freed
/// before.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_module_scan_free(scan: *mut ModuleScan) {
    if scan.is_null() {
        return;
    }
    // SAFETY: the caller passes back exactly what `Box::into_raw` produced.
    drop(unsafe { Box::from_raw(scan) });
}

/// `hb_beamr_wamr_module_info_t`: everything `hb_beamr_wamr_prepare` found
/// and made.
#[repr(C)]
#[derive(Debug)]
pub struct WamrModuleInfo {
    pub scan: ScanInfo,
    pub deferred_start: bool,
    pub module: *const u8,
    pub module_size: usize,
}

/// `hb_beamr_wamr_prepared_t`: owns what `info` points into.
pub struct WamrPrepared {
    info: WamrModuleInfo,
    _scan: ModuleScan,
    _module: Vec<u8>,
}

/// Scans `wasm[0..size)` and prepares it for WAMR. See
/// `hb_beamr_wamr_prepare.h` for the contract.
///
/// # Safety
/// `wasm` must be null or point to `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_wamr_prepare(wasm: *const u8, size: usize) -> *mut WamrPrepared {
    // SAFETY: passed on from the caller.
    let input = unsafe { input_of(wasm, size) };
    Box::into_raw(Box::new(wamr_prepared(input)))
}

/// The information behind `prepared`, which it owns (null for null).
///
/// # Safety
/// `prepared` must be null or a live pointer from `hb_beamr_wamr_prepare`.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_wamr_prepared_info(
    prepared: *const WamrPrepared,
) -> *const WamrModuleInfo {
    if prepared.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the caller passes a live pointer from `hb_beamr_wamr_prepare`.
    unsafe { &(*prepared).info }
}

/// Frees what `hb_beamr_wamr_prepare` returned.
///
/// # Safety
/// `prepared` must be null or a pointer from `hb_beamr_wamr_prepare`, not
/// freed before.
#[no_mangle]
pub unsafe extern "C" fn hb_beamr_wamr_prepared_free(prepared: *mut WamrPrepared) {
    if prepared.is_null() {
        return;
    }
    // SAFETY: the caller passes back exactly what `Box::into_raw` produced.
    drop(unsafe { Box::from_raw(prepared) });
}

/// The module `wasm[0..size)`; empty (not understood) for null or size 0.
///
/// # Safety
/// `wasm` must be null or point to `size` bytes readable for `'a`.
unsafe fn input_of<'a>(wasm: *const u8, size: usize) -> &'a [u8] {
    if wasm.is_null() || size == 0 {
        &[] // nothing to understand
    } else {
        // SAFETY: the caller promises `size` readable bytes at `wasm`.
        unsafe { std::slice::from_raw_parts(wasm, size) }
    }
}

fn module_scan(scan: Option<Scan>) -> ModuleScan {
    let understood = scan.is_some();
    let scan = scan.unwrap_or_default();
    let exports: Vec<ScanExport> = scan.exports.iter().map(scan_export).collect();
    let tables: Vec<ScanLimits> = scan.tables.iter().map(scan_limits).collect();
    let memories: Vec<ScanLimits> = scan.memories.iter().map(scan_limits).collect();
    let info = ScanInfo {
        understood,
        limits_known: scan.limits_known,
        import_kinds: array(&scan.import_kinds),
        import_count: scan.import_kinds.len(),
        tables: array(&tables),
        table_count: tables.len(),
        memories: array(&memories),
        memory_count: memories.len(),
        exports: array(&exports),
        export_count: exports.len(),
    };
    ModuleScan {
        info,
        _scan: scan,
        _tables: tables,
        _memories: memories,
        _exports: exports,
    }
}

fn wamr_prepared(wasm: &[u8]) -> WamrPrepared {
    let prepared = prepare_for_wamr(wasm);
    let scan = module_scan(prepared.scan);
    let module = prepared.module.unwrap_or_default();
    let info = WamrModuleInfo {
        scan: scan.info,
        deferred_start: prepared.deferred_start,
        module: array(&module),
        module_size: module.len(),
    };
    WamrPrepared {
        info,
        _scan: scan,
        _module: module,
    }
}

fn scan_limits(limits: &Limits) -> ScanLimits {
    ScanLimits {
        min: limits.min,
        max: limits.max,
        has_max: limits.has_max,
        is64: limits.is64,
    }
}

/// `export`, whose name must outlive the result.
fn scan_export(export: &Export) -> ScanExport {
    ScanExport {
        name: array(&export.name),
        name_size: export.name.len(),
        kind: export.kind,
        index: export.index,
    }
}

/// The start of `items`, or null if there are none.
fn array<T>(items: &[T]) -> *const T {
    if items.is_empty() {
        std::ptr::null()
    } else {
        items.as_ptr()
    }
}
