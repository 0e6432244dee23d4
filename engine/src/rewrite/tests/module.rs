//! Whole modules: every kind of import, start function, element, data,
//! global, export and custom sections survive the rewrite, with indices
//! unchanged.

use super::{bodies, rewrite_bytes, sections, wasm};

const FULL_MODULE: &str = r#"(module $full
  (type $sig (func (param i32) (result i32)))
  (import "env" "f" (func $imported (param i32)))
  (import "env" "t" (table $t 2 funcref))
  (import "env" "m" (memory $m 1))
  (import "env" "g" (global $g i32))
  (import "env" "e" (tag $imported-tag (param i32)))
  (tag $own (param i64 f32))
  (global $counter (mut i32) (i32.const 0))
  (memory $own-memory 1)
  (data (memory $m) (i32.const 0) "hello")
  (data $passive "bytes")
  (elem (table $t) (i32.const 0) func $start $handler)
  (elem $declared declare func $handler)
  (func $start
    global.get $g
    global.set $counter)
  (start $start)
  (func $handler (export "handler") (type $sig)
    try (result i32)
      local.get 0
      call $imported
      local.get 0
    catch $imported-tag
      i32.const 1
      i32.add
    catch $own
      drop
      drop
      i32.const -1
    end)
  (func $after (export "after") (result i32)
    ref.func $handler
    drop
    global.get $counter)
  (@custom "hb-beamr-test" "kept as is")
)"#;

#[test]
fn other_sections_are_copied_byte_for_byte() {
    let input = wasm(FULL_MODULE);
    let output = rewrite_bytes(&input);
    let (before, after) = (sections(&input, true), sections(&output, true));
    assert_eq!(before.len(), after.len());
    for ((id_before, data_before), (id_after, data_after)) in before.iter().zip(&after) {
        assert_eq!(id_before, id_after);
        // Type section: new types appended. Code section: rewritten.
        if *id_before != 1 && *id_before != 10 {
            assert_eq!(data_before, data_after, "section {id_before} changed");
        }
    }
    // Custom sections, the name section included, keep their place.
    let customs = after.iter().filter(|(id, _)| *id == 0).count();
    assert_eq!(customs, 2);
}

#[test]
fn function_indices_are_unchanged() {
    let input = wasm(FULL_MODULE);
    let output = rewrite_bytes(&input);
    assert_eq!(bodies(&input).len(), bodies(&output).len());
    let calls = |bytes: &[u8]| -> Vec<String> {
        bodies(bytes)
            .concat()
            .into_iter()
            .filter(|op| op.starts_with("Call") || op.starts_with("RefFunc"))
            .collect()
    };
    assert_eq!(calls(&input), calls(&output));
}

#[test]
fn wasm64_modules_are_rewritten() {
    let input = wasm(
        r#"(module
          (memory i64 1)
          (table i64 1 funcref)
          (tag $e (param i64))
          (func (param i64) (result i64)
            try (result i64)
              local.get 0
              i64.load offset=8
              throw $e
            catch $e
              i64.const 0
              i64.load8_u
              i64.add
            catch_all
              i64.const 0
              i32.const 0
              i64.const 4
              memory.fill
              i64.const 0
            end))"#,
    );
    rewrite_bytes(&input);
}

#[test]
fn simd_and_gc_operators_round_trip() {
    let input = wasm(
        r#"(module
          (type $point (struct (field (mut i32)) (field f64)))
          (type $bytes (array (mut i8)))
          (func (result i32)
            (local $p (ref null $point))
            try (result i32)
              i32.const 1
              f64.const 2
              struct.new $point
              local.set $p
              v128.const i32x4 1 2 3 4
              i32x4.extract_lane 2
              i32.const 8
              array.new_default $bytes
              array.len
              i32.add
            catch_all
              local.get $p
              struct.get $point 0
            end))"#,
    );
    let output = rewrite_bytes(&input);
    let ops = bodies(&output).concat();
    for expected in [
        "StructNew",
        "V128Const",
        "I32x4ExtractLane",
        "ArrayNewDefault",
    ] {
        assert!(ops.iter().any(|op| op.starts_with(expected)), "{expected}");
    }
}

/// Real-world modules, e.g. Emscripten builds, named in the environment
/// variable `HB_BEAMR_REWRITE_MODULES` (paths separated by `:`): each must
/// be left alone or rewritten into a valid module.
#[test]
fn modules_from_the_environment() {
    let Ok(paths) = std::env::var("HB_BEAMR_REWRITE_MODULES") else {
        eprintln!("skipped: set HB_BEAMR_REWRITE_MODULES=a.wasm:b.wasm to check real modules");
        return;
    };
    for path in paths.split(':').filter(|p| !p.is_empty()) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match super::super::rewrite_legacy_eh(&bytes) {
            Ok(super::super::Outcome::Rewritten(output)) => {
                super::check_standard(&output);
                eprintln!(
                    "{path}: rewritten, {} -> {} bytes",
                    bytes.len(),
                    output.len()
                );
            }
            Ok(super::super::Outcome::Unchanged) => eprintln!("{path}: unchanged"),
            Err(error) => panic!("{path}: {error}"),
        }
    }
}
