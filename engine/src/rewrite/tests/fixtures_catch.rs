//! Fixtures: `try` with catch clauses, and block types.

use super::fixtures::Value::I32;
use super::fixtures::{call, Fixture};

/// Tagged catches (with parameters of mixed types), `catch_all`, several
/// clauses on one `try`, uncaught tags, traps, tail calls.
pub(super) const CATCHING: Fixture = Fixture {
    name: "catching",
    fields: r#"
  (func (export "several") (param i32) (result i32)
    (local $l i64) (local $f f32) (local $d f64)
    try (result i32)
      local.get 0
      call $raise
      i32.const 100
    catch $e0
      i32.const 10
    catch $ei
      i32.const 1000
      i32.add
    catch $emix
      local.set $d
      local.set $f
      local.set $l
      local.get $l
      i32.wrap_i64
      i32.add
      local.get $f
      i32.trunc_f32_s
      i32.add
      local.get $d
      i32.trunc_f64_s
      i32.add
    catch_all
      i32.const -1
    end)

  (func (export "no-catch-all") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $raise
      i32.const 100
    catch $e0
      i32.const 10
    end)

  (func (export "catch-all-only") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $raise
      i32.const 1
    catch_all
      i32.const 2
    end)

  (func (export "empty-try")
    try
    catch $e0
    end
    try
    catch_all
    end)

  (func (export "catchless") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      end
    catch_all
      i32.const 2
    end)

  (func (export "nested") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      catch $e0
        i32.const 2
      end
    catch $e1
      i32.const 3
    end)

  (func (export "trap-not-caught")
    try
      unreachable
    catch_all
    end)

  (func $throw-e0 (throw $e0))
  (func (export "return-call-leaves-try")
    try
      return_call $throw-e0
    catch_all
    end)
"#,
    calls: &[
        call!("several" (I32(0)) => I32(100)),
        call!("several" (I32(1)) => I32(10)),
        call!("several" (I32(2)) => I32(-1)),
        call!("several" (I32(3)) => I32(1042)),
        call!("several" (I32(4)) => I32(4321)),
        call!("no-catch-all" (I32(0)) => I32(100)),
        call!("no-catch-all" (I32(1)) => I32(10)),
        call!("no-catch-all" (I32(2)) => throws),
        call!("catch-all-only" (I32(0)) => I32(1)),
        call!("catch-all-only" (I32(4)) => I32(2)),
        call!("empty-try" () =>),
        call!("catchless" (I32(0)) => I32(1)),
        call!("catchless" (I32(2)) => I32(2)),
        call!("nested" (I32(0)) => I32(1)),
        call!("nested" (I32(1)) => I32(2)),
        call!("nested" (I32(2)) => I32(3)),
        call!("nested" (I32(3)) => throws),
        call!("trap-not-caught" () => traps),
        call!("return-call-leaves-try" () => throws),
    ],
};

/// Block types of every form: empty, one value, a type index with
/// parameters, a type index with several results.
pub(super) const BLOCK_TYPES: Fixture = Fixture {
    name: "block types",
    fields: r#"
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $i_ii (func (param i32) (result i32 i32)))
  (type $i_ (func (param i32)))

  (func (export "params") (param i32) (result i32)
    i32.const 5
    local.get 0
    try (type $ii_i)
      call $raise
      i32.const 1
      i32.add
    catch $ei
      i32.const 100
      i32.add
    catch_all
      i32.const 7
    end)

  (func (export "multi-value") (param i32) (result i32)
    local.get 0
    try (type $i_ii)
      call $raise
      i32.const 1
      i32.const 2
    catch $ei
      i32.const 3
    catch_all
      i32.const 50
      i32.const 5
    end
    i32.sub)

  (func (export "param-only") (param i32) (result i32)
    (local $seen i32)
    local.get 0
    try (type $i_)
      call $raise
      i32.const 9
      local.set $seen
    catch $emix
      drop
      drop
      drop
      local.set $seen
    end
    local.get $seen)

  (func (export "multi-value-delegate") (param i32) (result i32)
    try $t (result i32)
      local.get 0
      try (type $i_ii)
        call $raise
        i32.const 8
        i32.const 2
      delegate $t
      i32.sub
    catch $ei
    end)
"#,
    calls: &[
        call!("params" (I32(0)) => I32(6)),
        call!("params" (I32(3)) => I32(142)),
        call!("params" (I32(1)) => I32(7)),
        call!("multi-value" (I32(0)) => I32(-1)),
        call!("multi-value" (I32(3)) => I32(39)),
        call!("multi-value" (I32(1)) => I32(45)),
        call!("param-only" (I32(0)) => I32(9)),
        call!("param-only" (I32(4)) => I32(1)),
        call!("param-only" (I32(2)) => throws),
        call!("multi-value-delegate" (I32(0)) => I32(6)),
        call!("multi-value-delegate" (I32(3)) => I32(42)),
    ],
};
