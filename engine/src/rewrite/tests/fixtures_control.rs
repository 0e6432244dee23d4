//! Fixtures: branches across the rewritten frames, `try` inside loops and
//! ifs, unreachable code, memory64, typed references and standard
//! exception handling mixed with the legacy form.

use super::fixtures::Value::{I32, I64};
use super::fixtures::{call, Fixture};

/// Branches out of `try` bodies and handlers, and a `br_table` whose
/// targets cross two handlers.
pub(super) const BRANCHES: Fixture = Fixture {
    name: "branches",
    fields: r#"
  (func (export "out-of-body-and-handler") (param i32) (result i32)
    block $out (result i32)
      try (result i32)
        local.get 0
        i32.const 1
        i32.eq
        if
          i32.const 10
          br $out
        end
        local.get 0
        call $raise
        i32.const 20
      catch $e1
        i32.const 30
        br $out
      catch_all
        i32.const 40
      end
      i32.const 1
      i32.add
    end)

  (func (export "table-across-handlers") (param i32) (result i32)
    block $a (result i32)
      block $b (result i32)
        try (result i32)
          throw $e0
        catch_all
          try (result i32)
            throw $e1
          catch $e1
            i32.const 7
            local.get 0
            br_table 0 1 2 3 4
          end
          i32.const 100
          i32.add
        end
        i32.const 1000
        i32.add
      end
      i32.const 10000
      i32.add
    end
    i32.const 100000
    i32.add)

  (func (export "table-out-of-body") (param i32) (result i32)
    block $a (result i32)
      try (result i32)
        try (result i32)
          i32.const 5
          local.get 0
          br_table 0 1 2 3
        delegate 0
        i32.const 10
        i32.add
      catch_all
        i32.const -1
      end
      i32.const 100
      i32.add
    end
    i32.const 1000
    i32.add)

  (func (export "dead-code") (result i32)
    try (result i32)
      throw $e0
      try (result i32)
        unreachable
      catch_all
        i32.const 1
      end
      drop
      try
      delegate 0
      i32.const 5
    catch_all
      i32.const 2
    end)

  (func (export "unreachable-try") (result i32)
    i32.const 3
    return
    try (result i32)
      i32.const 1
    catch_all
      rethrow 0
    end)
"#,
    calls: &[
        call!("out-of-body-and-handler" (I32(0)) => I32(21)),
        call!("out-of-body-and-handler" (I32(1)) => I32(10)),
        call!("out-of-body-and-handler" (I32(2)) => I32(30)),
        call!("out-of-body-and-handler" (I32(3)) => I32(41)),
        call!("table-across-handlers" (I32(0)) => I32(111_107)),
        call!("table-across-handlers" (I32(1)) => I32(111_007)),
        call!("table-across-handlers" (I32(2)) => I32(110_007)),
        call!("table-across-handlers" (I32(3)) => I32(100_007)),
        call!("table-across-handlers" (I32(4)) => I32(7)),
        call!("table-out-of-body" (I32(0)) => I32(1115)),
        call!("table-out-of-body" (I32(1)) => I32(1105)),
        call!("table-out-of-body" (I32(2)) => I32(1005)),
        call!("table-out-of-body" (I32(3)) => I32(5)),
        call!("dead-code" () => I32(2)),
        call!("unreachable-try" () => I32(3)),
    ],
};

/// `try` inside loops (continuing from a handler) and inside `if`.
pub(super) const LOOPS_AND_IFS: Fixture = Fixture {
    name: "loops and ifs",
    fields: r#"
  (func (export "count-odd") (param i32) (result i32)
    (local $i i32) (local $caught i32)
    loop $again
      try
        local.get $i
        i32.const 2
        i32.rem_u
        if
          throw $e0
        end
      catch $e0
        local.get $caught
        i32.const 1
        i32.add
        local.set $caught
      end
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get 0
      i32.lt_u
      br_if $again
    end
    local.get $caught)

  (func (export "continue-from-handler") (param i32) (result i32)
    (local $i i32) (local $caught i32)
    loop $again
      local.get $i
      i32.const 1
      i32.add
      local.set $i
      try
        local.get $i
        local.get 0
        i32.lt_u
        if
          throw $e0
        end
      catch $e0
        local.get $caught
        i32.const 1
        i32.add
        local.set $caught
        br $again
      end
    end
    local.get $caught)

  (func (export "in-if") (param i32) (result i32)
    local.get 0
    if (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      catch_all
        i32.const 2
      end
    else
      try (result i32)
        i32.const 3
      delegate 0
    end)
"#,
    calls: &[
        call!("count-odd" (I32(10)) => I32(5)),
        call!("count-odd" (I32(1)) => I32(0)),
        call!("continue-from-handler" (I32(5)) => I32(4)),
        call!("continue-from-handler" (I32(0)) => I32(0)),
        call!("in-if" (I32(0)) => I32(3)),
        call!("in-if" (I32(1)) => I32(2)),
        call!("in-if" (I32(5)) => I32(1)),
    ],
};

/// A wasm64 memory used inside `try` bodies and handlers.
pub(super) const MEMORY64: Fixture = Fixture {
    name: "memory64",
    fields: r#"
  (memory i64 1)
  (tag $e64 (param i64))
  (func (export "store-throw-load") (param i64) (result i64)
    try (result i64)
      i64.const 8
      local.get 0
      i64.store
      i64.const 8
      i64.load
      throw $e64
    catch $e64
      i64.const 16
      i64.const 1
      i64.store
      i64.const 16
      i64.load
      i64.add
    end)
"#,
    calls: &[call!("store-throw-load" (I64(41)) => I64(42))],
};

/// Typed-reference branches and standard exception handling inside legacy
/// `try` bodies: their labels must be translated too.
pub(super) const REFERENCES: Fixture = Fixture {
    name: "references",
    fields: r#"
  (func (export "br-on-null") (result i32)
    block $null
      try
        ref.null extern
        br_on_null $null
        drop
      catch_all
      end
      i32.const 1
      return
    end
    i32.const 2)

  (func (export "br-on-cast") (param i32) (result i32)
    block $yes (result (ref i31))
      try
        local.get 0
        ref.i31
        br_on_cast $yes (ref any) (ref i31)
        drop
      catch_all
      end
      i32.const -1
      return
    end
    i31.get_s)

  (func (export "try-table-inside") (param i32) (result i32)
    block $h (result i32)
      try (result i32)
        try_table (result i32) (catch $ei $h)
          local.get 0
          call $raise
          i32.const 1
        end
      catch_all
        i32.const 2
      end
      return
    end
    i32.const 1000
    i32.add)

  (func (export "delegate-into-try-table") (param i32) (result i32)
    block $h (result i32)
      try_table (result i32) (catch $ei $h)
        try (result i32)
          local.get 0
          call $raise
          i32.const 1
        delegate 0
      end
      return
    end
    i32.const 1000
    i32.add)

  (func (export "delegate-to-block-in-try-table") (param i32) (result i32)
    try (result i32)
      block $h (result i32)
        try_table (result i32) (catch $ei $h)
          block $b (result i32)
            try (result i32)
              try (result i32)
                local.get 0
                call $raise
                i32.const 1
              delegate $b
            catch_all
              i32.const 3
            end
          end
        end
        return
      end
      i32.const 1000
      i32.add
    catch_all
      i32.const 2
    end)

  (func (export "throw-ref-inside") (result i32)
    try (result i32)
      block $h (result exnref)
        try_table (catch_all_ref $h)
          throw $e0
        end
        unreachable
      end
      throw_ref
    catch $e0
      i32.const 5
    end)
"#,
    calls: &[
        call!("br-on-null" () => I32(2)),
        call!("br-on-cast" (I32(17)) => I32(17)),
        call!("try-table-inside" (I32(0)) => I32(1)),
        call!("try-table-inside" (I32(3)) => I32(1042)),
        call!("try-table-inside" (I32(1)) => I32(2)),
        call!("throw-ref-inside" () => I32(5)),
        call!("delegate-into-try-table" (I32(0)) => I32(1)),
        call!("delegate-into-try-table" (I32(3)) => I32(1042)),
        call!("delegate-into-try-table" (I32(1)) => throws),
        call!("delegate-to-block-in-try-table" (I32(0)) => I32(1)),
        call!("delegate-to-block-in-try-table" (I32(3)) => I32(1042)),
        call!("delegate-to-block-in-try-table" (I32(1)) => I32(2)),
    ],
};
