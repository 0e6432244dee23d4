//! What the scan reads from a module, and which modules it does not
//! understand.

use super::{scan_of, wasm};
use crate::prepare::{
    prepare_for_wamr, scan_module, Export, Limits, KIND_FUNC, KIND_GLOBAL, KIND_MEMORY, KIND_TABLE,
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
fn tables_with_initializers_are_read() {
    let scan = scan_of(&wasm(
        r#"(module
             (type $t (func))
             (global $g funcref (ref.null func))
             (table 1 funcref)
             (table 2 funcref (ref.null func))
             (table 3 10 (ref null $t) (ref.null $t))
             (table i64 4 funcref (global.get $g))
             (table 5 i31ref (ref.i31 (i32.add (i32.const 1) (i32.const 2))))
             (memory 6))"#,
    ));
    assert!(scan.limits_known);
    assert_eq!(
        scan.tables,
        [
            limits(1, None, false),
            limits(2, None, false),
            limits(3, Some(10), false),
            limits(4, None, true),
            limits(5, None, false)
        ]
    );
    assert_eq!(scan.memories, [limits(6, None, false)]);
}

/// A module of the given sections (id, payload) after the header.
fn module_of(sections: &[(u8, &[u8])]) -> Vec<u8> {
    let mut bytes = wasm("(module)");
    for (id, payload) in sections {
        bytes.push(*id);
        bytes.push(u8::try_from(payload.len()).expect("a short section"));
        bytes.extend_from_slice(payload);
    }
    bytes
}

/// `value` as an unsigned LEB128 number.
fn leb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn table64_limits_past_32_bits_are_exact() {
    let two_to_32 = 1u64 << 32;
    // (table i64 2^32+1 funcref), (table i64 1 2^64-1 externref), then an
    // import of (table i64 2^33 3*2^32 funcref), all read exactly.
    let mut tables = vec![2, 0x70, 0x04];
    tables.extend(leb(two_to_32 + 1));
    tables.extend([0x6f, 0x05, 0x01]);
    tables.extend(leb(u64::MAX));
    let mut imports = vec![1, 1, b'm', 1, b't', KIND_TABLE, 0x70, 0x05];
    imports.extend(leb(2 * two_to_32));
    imports.extend(leb(3 * two_to_32));
    let exports = [1, 1, b't', KIND_TABLE, 1];
    let bytes = module_of(&[(2, &imports), (4, &tables), (7, &exports)]);
    let scan = scan_of(&bytes);
    assert!(scan.limits_known);
    assert_eq!(
        scan.tables,
        [
            limits(2 * two_to_32, Some(3 * two_to_32), true),
            limits(two_to_32 + 1, None, true),
            limits(1, Some(u64::MAX), true)
        ]
    );
    assert_eq!(scan.import_kinds, [KIND_TABLE]);
    assert_eq!(scan.exports.len(), 1);
}

#[test]
fn shared_and_indexed_heap_types_are_skipped() {
    // (table 1 (ref null (shared func))), (table 2 (ref null 300)).
    let tables = [
        2, 0x63, 0x65, 0x70, 0x00, 0x01, 0x63, 0xac, 0x02, 0x00, 0x02,
    ];
    let scan = scan_of(&module_of(&[(4, &tables)]));
    assert_eq!(
        scan.tables,
        [limits(1, None, false), limits(2, None, false)]
    );
}

#[test]
fn an_initializer_the_scan_cannot_skip_makes_tables_unknown() {
    // (table 1 funcref), then a table whose initializer starts with an
    // opcode no constant expression has (0x00, unreachable).
    let tables = [
        2, 0x70, 0x00, 0x01, 0x40, 0x00, 0x70, 0x00, 0x02, 0x00, 0x0b,
    ];
    let scan = scan_of(&module_of(&[(4, &tables), (5, &[1, 0, 4])]));
    assert!(!scan.limits_known);
    assert_eq!(
        scan.tables,
        [limits(1, None, false), limits(2, None, false)]
    );
    assert_eq!(scan.memories, [limits(4, None, false)]);
}

#[test]
fn unknown_table_encodings_are_not_understood() {
    for tables in [
        &[1, 0x70, 0x08, 0x01, 0x00][..], // a custom page size on a table
        &[1, 0x70, 0x10, 0x01][..],       // an unknown limits flag
        &[1, 0x40, 0x01, 0x70, 0x00, 0x01, 0xd0, 0x70, 0x0b][..], // 0x40 0x01
        &[1, 0x70, 0x00, 0x01, 0x00][..], // a byte after the last table
    ] {
        let bytes = module_of(&[(4, tables)]);
        assert!(scan_module(&bytes).is_none(), "{tables:x?}");
        assert!(prepare_for_wamr(&bytes).scan.is_none(), "{tables:x?}");
    }
    let memories = [1, 0x10, 0x01];
    assert!(scan_module(&module_of(&[(5, &memories)])).is_none());
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
