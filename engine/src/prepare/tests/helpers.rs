//! What preparation changes: the start function, the memory.size function
//! and tag exports; and what it leaves alone.

use super::{bodies, check_valid, exports, prepare, section_ids, wasm};
use crate::prepare::{prepare_for_wamr, START_EXPORT};

const MEMORY_SIZE_BODY: [u8; 5] = [0x00, 0x3f, 0x00, 0x1a, 0x0b];

#[test]
fn a_module_without_memory_start_or_tags_is_left_alone() {
    let prepared = prepare_for_wamr(&wasm(
        r#"(module (func (export "f") (result i32) i32.const 1) (table 1 funcref))"#,
    ));
    assert!(prepared.scan.is_some());
    assert_eq!(prepared.module, None);
    assert!(!prepared.deferred_start);
}

#[test]
fn the_start_function_is_exported_instead() {
    let prepared = prepare(
        r#"(module
             (func $f (export "f"))
             (func $s)
             (start $s))"#,
    );
    assert!(prepared.deferred_start);
    let module = prepared.module.unwrap_or_default();
    assert!(!section_ids(&module).contains(&8), "start section kept");
    assert_eq!(
        exports(&module),
        [("f".to_string(), 0, 0), (START_EXPORT.to_string(), 0, 1)]
    );
}

#[test]
fn a_start_function_already_exported_under_the_name_stays() {
    let prepared = prepare_for_wamr(&wasm(&format!(
        r#"(module (func $s (export "{START_EXPORT}")) (start $s))"#
    )));
    assert!(!prepared.deferred_start);
    assert_eq!(prepared.module, None);
    // With a memory the module changes, but its start section stays.
    let prepared = prepare(&format!(
        r#"(module (memory 1) (func $s (export "{START_EXPORT}")) (start $s))"#
    ));
    assert!(!prepared.deferred_start);
    assert!(section_ids(&prepared.module.unwrap_or_default()).contains(&8));
}

#[test]
fn a_memory_gets_a_function_that_uses_memory_size() {
    let original = wasm(
        r#"(module
             (type (func (param i32) (result i32)))
             (memory 1)
             (func (export "id") (type 0) local.get 0)
             (func (export "two") (result i32) i32.const 2))"#,
    );
    let prepared = prepare_for_wamr(&original);
    assert!(!prepared.deferred_start);
    let module = prepared.module.unwrap_or_default();
    check_valid(&module);
    let mut expected = bodies(&original);
    expected.push(MEMORY_SIZE_BODY.to_vec());
    assert_eq!(bodies(&module), expected);
    assert_eq!(exports(&module), exports(&original));
}

#[test]
fn missing_sections_are_added_in_order() {
    // Only a memory: type, function, export and code sections are new.
    let prepared = prepare("(module (memory 1))");
    let module = prepared.module.unwrap_or_default();
    assert_eq!(section_ids(&module), [1, 3, 5, 7, 10]);
    assert_eq!(bodies(&module), [MEMORY_SIZE_BODY.to_vec()]);
    // A memory and a data section: the code section goes before it.
    let prepared = prepare(r#"(module (memory 1) (data (i32.const 0) "x"))"#);
    let module = prepared.module.unwrap_or_default();
    assert_eq!(section_ids(&module), [1, 3, 5, 7, 10, 11]);
    // Only an imported memory: the export section goes after the function
    // section, which is new too.
    let prepared = prepare(r#"(module (import "env" "m" (memory 1)))"#);
    let module = prepared.module.unwrap_or_default();
    assert_eq!(section_ids(&module), [1, 2, 3, 7, 10]);
}

#[test]
fn an_imported_memory_counts_and_imported_functions_keep_their_index() {
    let prepared = prepare(
        r#"(module
             (import "env" "m" (memory 1))
             (import "env" "f" (func $f))
             (func $s call $f)
             (start $s))"#,
    );
    assert!(prepared.deferred_start);
    let module = prepared.module.unwrap_or_default();
    assert_eq!(exports(&module), [(START_EXPORT.to_string(), 0, 1)]);
    assert_eq!(bodies(&module).len(), 2);
}

#[test]
fn tag_exports_are_dropped() {
    let prepared = prepare(
        r#"(module
             (tag $e (param i32))
             (func (export "f"))
             (export "e" (tag $e)))"#,
    );
    assert!(!prepared.deferred_start);
    let module = prepared.module.unwrap_or_default();
    assert_eq!(exports(&module), [("f".to_string(), 0, 0)]);
    assert_eq!(section_ids(&module), [1, 3, 13, 7, 10, 0]); // 0: names
}

#[test]
fn custom_sections_and_names_are_kept() {
    let original = wasm(
        r#"(module $m
             (memory 1)
             (func $named (export "f"))
             (func $s)
             (start $s))"#,
    );
    let prepared = prepare_for_wamr(&original);
    let module = prepared.module.unwrap_or_default();
    check_valid(&module);
    assert_eq!(section_ids(&module), [1, 3, 5, 7, 10, 0]);
    let name_section = |bytes: &[u8]| bytes.windows(4).position(|w| w == b"name");
    let (Some(old), Some(new)) = (name_section(&original), name_section(&module)) else {
        panic!("name section missing");
    };
    assert_eq!(original[old..], module[new..], "name section changed");
}

#[test]
fn exact_bytes_of_a_small_module() {
    // (module (memory 1) (func) (start 0)), byte for byte.
    let prepared = prepare("(module (memory 1) (func) (start 0))");
    let expected: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
        0x01, 0x07, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00, // types: +[] -> []
        0x03, 0x03, 0x02, 0x00, 0x01, // functions: +type 1
        0x05, 0x03, 0x01, 0x00, 0x01, // memory, as it was
        0x07, 0x14, 0x01, 0x10, b'_', b'_', b'h', b'b', b'_', b'b', b'e', b'a', b'm', b'r', b'_',
        b's', b't', b'a', b'r', b't', 0x00, 0x00, // export of function 0
        0x0a, 0x0a, 0x02, 0x02, 0x00, 0x0b, // code: the old body
        0x05, 0x00, 0x3f, 0x00, 0x1a, 0x0b, // + memory.size 0; drop
    ];
    assert_eq!(prepared.module.as_deref(), Some(expected));
}
