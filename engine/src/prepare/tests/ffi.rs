//! The C entry points: what they return, that the header agrees with the
//! crate, and that damaged modules never make them panic.

use super::{check_valid, wasm};
use crate::ffi::{
    hb_beamr_module_scan, hb_beamr_module_scan_free, hb_beamr_module_scan_info,
    hb_beamr_wamr_prepare, hb_beamr_wamr_prepared_free, hb_beamr_wamr_prepared_info, ScanInfo,
    WamrModuleInfo,
};
use crate::prepare::{prepare_for_wamr, scan_module, Prepared, Scan, START_EXPORT};

/// `items[0..count)` of a C array that is NULL when empty.
fn slice<'a, T>(items: *const T, count: usize) -> &'a [T] {
    if count == 0 {
        assert!(items.is_null(), "an empty array is not NULL");
        return &[];
    }
    assert!(!items.is_null());
    // SAFETY: the info promises `count` items while the handle lives.
    unsafe { std::slice::from_raw_parts(items, count) }
}

/// Calls the C entry points on `input`, checks that they agree with
/// `prepare_for_wamr`, and frees what they returned.
fn run(input: *const u8, size: usize, expected: &Prepared) {
    // SAFETY: `input` is null or points to `size` bytes.
    let prepared = unsafe { hb_beamr_wamr_prepare(input, size) };
    assert!(!prepared.is_null());
    // SAFETY: a live handle from the call above.
    let info: &WamrModuleInfo = unsafe { &*hb_beamr_wamr_prepared_info(prepared) };
    check_info(info, expected);
    // SAFETY: returned above, freed once.
    unsafe { hb_beamr_wamr_prepared_free(prepared) };

    // SAFETY: as above.
    let scan = unsafe { hb_beamr_module_scan(input, size) };
    assert!(!scan.is_null());
    // SAFETY: a live handle from the call above.
    let info: &ScanInfo = unsafe { &*hb_beamr_module_scan_info(scan) };
    check_scan(info, expected.scan.as_ref());
    // SAFETY: returned above, freed once.
    unsafe { hb_beamr_module_scan_free(scan) };
}

fn check_info(info: &WamrModuleInfo, expected: &Prepared) {
    assert_eq!(info.deferred_start, expected.deferred_start);
    let module = slice(info.module, info.module_size);
    assert_eq!(module, expected.module.as_deref().unwrap_or_default());
    check_scan(&info.scan, expected.scan.as_ref());
}

fn check_scan(info: &ScanInfo, expected: Option<&Scan>) {
    assert_eq!(info.understood, expected.is_some());
    let scan = expected.cloned().unwrap_or_default();
    assert_eq!(info.limits_known, scan.limits_known);
    assert_eq!(
        slice(info.import_kinds, info.import_count),
        scan.import_kinds
    );
    let limits = |items, count| -> Vec<_> {
        slice(items, count)
            .iter()
            .map(|l: &crate::ffi::ScanLimits| (l.min, l.max, l.has_max, l.is64))
            .collect()
    };
    let tables: Vec<_> = scan
        .tables
        .iter()
        .map(|l| (l.min, l.max, l.has_max, l.is64))
        .collect();
    assert_eq!(limits(info.tables, info.table_count), tables);
    let memories: Vec<_> = scan
        .memories
        .iter()
        .map(|l| (l.min, l.max, l.has_max, l.is64))
        .collect();
    assert_eq!(limits(info.memories, info.memory_count), memories);
    let exports = slice(info.exports, info.export_count);
    assert_eq!(exports.len(), scan.exports.len());
    for (got, want) in exports.iter().zip(&scan.exports) {
        assert_eq!(slice(got.name, got.name_size), want.name);
        assert_eq!((got.kind, got.index), (want.kind, want.index));
    }
}

fn run_bytes(bytes: &[u8]) {
    let expected = prepare_for_wamr(bytes);
    assert_eq!(scan_module(bytes), expected.scan);
    let valid = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .is_ok();
    if let (true, Some(module)) = (valid, &expected.module) {
        check_valid(module);
    }
    run(bytes.as_ptr(), bytes.len(), &expected);
}

/// A module with something of everything the scan reads.
fn seed() -> Vec<u8> {
    wasm(
        r#"(module $seed
             (import "env" "g" (global i32))
             (import "env" "f" (func $f (param i32)))
             (import "env" "t" (table 1 10 funcref))
             (memory i64 1 100)
             (table 2 externref)
             (tag $e (param i32))
             (func $s i32.const 1 call $f)
             (func (export "size") (result i64) memory.size)
             (export "e" (tag $e))
             (export "mem" (memory 0))
             (export "tab" (table 1))
             (start $s)
             (data (i64.const 0) "hello"))"#,
    )
}

#[test]
fn the_info_matches_the_rust_api() {
    run_bytes(&seed());
    run_bytes(&wasm("(module)"));
    run_bytes(&wasm(
        "(module (table 1 funcref (ref.null func)) (memory 1))",
    ));
}

#[test]
fn null_and_empty_input_are_not_understood() {
    let nothing = Prepared::default();
    run(std::ptr::null(), 0, &nothing);
    run(std::ptr::null(), 8, &nothing);
    run([0u8; 1].as_ptr(), 0, &nothing);
    // SAFETY: freeing null does nothing; the info of null is null.
    unsafe {
        hb_beamr_wamr_prepared_free(std::ptr::null_mut());
        assert!(hb_beamr_wamr_prepared_info(std::ptr::null()).is_null());
        hb_beamr_module_scan_free(std::ptr::null_mut());
        assert!(hb_beamr_module_scan_info(std::ptr::null()).is_null());
    }
}

#[test]
fn damaged_modules_never_panic() {
    let seed = seed();
    for len in 0..seed.len() {
        run_bytes(&seed[..len]);
    }
    for i in 8..seed.len() {
        for bit in 0..8 {
            let mut bytes = seed.clone();
            bytes[i] ^= 1 << bit;
            run_bytes(&bytes);
        }
    }
    // Random byte changes, from a fixed xorshift sequence.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let mut bytes = seed.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = 8 + (state % (seed.len() as u64 - 8)) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        run_bytes(&bytes);
    }
}

#[test]
fn the_header_agrees_with_the_crate() {
    let header = include_str!("../../../include/hb_beamr_wamr_prepare.h");
    let define = format!("#define HB_BEAMR_WAMR_START_EXPORT \"{START_EXPORT}\"");
    assert!(header.contains(&define), "header lacks {define}");
    let header = include_str!("../../../include/hb_beamr_module_scan.h");
    for (name, value) in [("FUNC", 0), ("TABLE", 1), ("MEMORY", 2), ("GLOBAL", 3)] {
        let line = format!("HB_BEAMR_KIND_{name} = {value}");
        assert!(header.contains(&line), "header lacks {line}");
    }
}
