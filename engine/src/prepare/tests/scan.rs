//! What the scan reads from a module, and which modules it does not
//! understand.

use super::{scan_of, wasm};
use crate::prepare::{
    prepare_for_wamr, Export, Limits, KIND_FUNC, KIND_GLOBAL, KIND_MEMORY, KIND_TABLE,
};

fn limits(min: u64, max: Option<u64>, is64: bool) -> Limits {
    Limits {
        min,
        max: max.unwrap_or(0),
        has_max: max.is_some(),
        is64,
    }
}

#[test]
fn imports_keep_module_order_and_skip_tags() {
    let scan = scan_of(&wasm(
        r#"(module
             (import "env" "g" (global i32))
             (import "env" "tag" (tag (param i32)))
             (import "env" "t" (table 1 funcref))
             (import "env" "f" (func))
             (import "env" "m" (memory 1)))"#,
    ));
    assert_eq!(
        scan.import_kinds,
        [KIND_GLOBAL, KIND_TABLE, KIND_FUNC, KIND_MEMORY]
    );
    assert_eq!(scan.layout.functions, 1);
}

#[test]
fn limits_are_exact_imported_first() {
    let scan = scan_of(&wasm(
        r#"(module
             (import "env" "t" (table 2 10 funcref))
             (import "env" "m" (memory i64 3))
             (table 5 externref)
             (table 0 70000 (ref null func)))"#,
    ));
    assert!(scan.limits_known);
    assert_eq!(
        scan.tables,
        [
            limits(2, Some(10), false),
            limits(5, None, false),
            limits(0, Some(70000), false)
        ]
    );
    assert_eq!(scan.memories, [limits(3, None, true)]);
}

#[test]
fn defined_memories_keep_their_flags() {
    let big = 1u64 << 40;
    let scan = scan_of(&wasm(&format!("(module (memory i64 1 {big}))")));
    assert_eq!(scan.memories, [limits(1, Some(big), true)]);
    let scan = scan_of(&wasm("(module (memory 1 2 shared))"));
    assert_eq!(scan.memories, [limits(1, Some(2), false)]);
}

#[test]
fn a_table_with_an_initializer_makes_tables_unknown() {
    let scan = scan_of(&wasm(
        r#"(module
             (table 1 funcref)
             (table 2 funcref (ref.null func))
             (table 3 funcref)
             (memory 4))"#,
    ));
    assert!(!scan.limits_known);
    assert_eq!(scan.tables, [limits(1, None, false)]);
    assert_eq!(scan.memories, [limits(4, None, false)]);
}

#[test]
fn exports_have_kinds_and_indices_without_tags() {
    let scan = scan_of(&wasm(
        r#"(module
             (func $f) (func $g)
             (memory 1) (table 1 funcref) (global i32 (i32.const 0))
             (tag $e)
             (export "g" (func $g))
             (export "e" (tag $e))
             (export "mem" (memory 0))
             (export "tab" (table 0))
             (export "glob" (global 0)))"#,
    ));
    let export = |name: &str, kind, index| Export {
        name: name.as_bytes().to_vec(),
        kind,
        index,
    };
    assert_eq!(
        scan.exports,
        [
            export("g", KIND_FUNC, 1),
            export("mem", KIND_MEMORY, 0),
            export("tab", KIND_TABLE, 0),
            export("glob", KIND_GLOBAL, 0)
        ]
    );
    assert_eq!(scan.layout.tag_exports, 1);
    assert_eq!(scan.layout.functions, 2);
}

#[test]
fn start_and_type_count() {
    let scan = scan_of(&wasm(
        r#"(module
             (type (func (param i32)))
             (import "env" "f" (func (type 0)))
             (func $s)
             (start $s))"#,
    ));
    assert_eq!(scan.layout.start, Some(1));
    assert_eq!(scan.layout.types, 2);
    assert_eq!(scan_of(&wasm("(module)")).layout.start, None);
}

#[test]
fn custom_sections_may_go_anywhere() {
    let mut bytes = wasm("(module (memory 1) (func) (export \"f\" (func 0)))");
    // A custom section "x" at the end, and one before the first section.
    bytes.extend_from_slice(&[0, 2, 1, b'x']);
    let mut early = bytes[..8].to_vec();
    early.extend_from_slice(&[0, 3, 1, b'y', 7]);
    early.extend_from_slice(&bytes[8..]);
    let scan = scan_of(&early);
    assert_eq!(scan.exports.len(), 1);
    assert_eq!(scan.layout.sections.first().map(|s| s.id), Some(0));
}

#[test]
fn modules_not_understood() {
    let good = wasm("(module (memory 1) (func) (start 0))");
    let mut truncated = good.clone();
    truncated.pop();
    let mut out_of_order = good[..8].to_vec();
    out_of_order.extend_from_slice(&[5, 3, 1, 0, 1]); // memory
    out_of_order.extend_from_slice(&[1, 1, 0]); // type, after it
    let mut repeated = good[..8].to_vec();
    repeated.extend_from_slice(&[1, 1, 0, 1, 1, 0]);
    let mut unknown_section = good.clone();
    unknown_section.extend_from_slice(&[14, 0]);
    let mut unknown_import = good[..8].to_vec();
    unknown_import.extend_from_slice(&[2, 7, 1, 1, b'a', 1, b'b', 0x05, 0]);
    let mut bad_version = good.clone();
    bad_version[4] = 2;
    let mut overlong_leb = good[..8].to_vec();
    overlong_leb.extend_from_slice(&[1, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0]);
    for bytes in [
        &[][..],
        &good[..7],
        &truncated,
        &out_of_order,
        &repeated,
        &unknown_section,
        &unknown_import,
        &bad_version,
        &overlong_leb,
    ] {
        let prepared = prepare_for_wamr(bytes);
        assert!(prepared.scan.is_none(), "{bytes:x?}");
        assert!(prepared.module.is_none() && !prepared.deferred_start);
    }
}

#[test]
fn an_empty_module_is_understood() {
    let scan = scan_of(&wasm("(module)"));
    assert!(scan.limits_known && scan.layout.sections.is_empty());
}
