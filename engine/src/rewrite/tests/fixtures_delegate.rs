//! Fixtures: `delegate` to every kind of label, and `rethrow`.

use super::fixtures::Value::I32;
use super::fixtures::{call, Fixture};

/// `delegate` to an enclosing `try`, past a `try` that would otherwise
/// catch, to a block, to a loop, to a `try` in a handler, to a `try` without
/// clauses, to another `try ... delegate`, and to the caller.
pub(super) const DELEGATING: Fixture = Fixture {
    name: "delegating",
    fields: r#"
  (func (export "to-try") (param i32) (result i32)
    try $t (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      delegate $t
    catch $e0
      i32.const 2
    catch_all
      i32.const 3
    end)

  (func (export "skips-inner") (param i32) (result i32)
    try $t (result i32)
      try (result i32)
        try (result i32)
          local.get 0
          call $raise
          i32.const 1
        delegate $t
      catch_all
        i32.const 4
      end
    catch $e0
      i32.const 2
    catch_all
      i32.const 3
    end)

  (func (export "to-block") (param i32) (result i32)
    try (result i32)
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
    catch_all
      i32.const 2
    end)

  (func (export "to-loop") (param i32) (result i32)
    try (result i32)
      loop $l (result i32)
        try (result i32)
          try (result i32)
            local.get 0
            call $raise
            i32.const 1
          delegate $l
        catch_all
          i32.const 3
        end
      end
    catch_all
      i32.const 2
    end)

  (func (export "to-try-in-handler") (param i32) (result i32)
    try (result i32)
      try $t (result i32)
        throw $e1
      catch $e1
        try (result i32)
          local.get 0
          call $raise
          i32.const 1
        delegate $t
      catch_all
        i32.const 3
      end
    catch_all
      i32.const 2
    end)

  (func (export "to-catchless") (param i32) (result i32)
    try (result i32)
      try $n (result i32)
        try (result i32)
          local.get 0
          call $raise
          i32.const 1
        delegate $n
      end
    catch_all
      i32.const 2
    end)

  (func (export "chain") (param i32) (result i32)
    try $a (result i32)
      try $b (result i32)
        try (result i32)
          try (result i32)
            local.get 0
            call $raise
            i32.const 1
          delegate $b
        catch_all
          i32.const 4
        end
      delegate $a
    catch $e0
      i32.const 2
    catch_all
      i32.const 3
    end)

  (func $to-caller (export "to-caller") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      delegate 1
    catch_all
      i32.const 2
    end)

  (func (export "caught-by-caller") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $to-caller
    catch $e0
      i32.const 9
    end)

  (func (export "to-caller-from-handler") (param i32) (result i32)
    try (result i32)
      throw $e1
    catch_all
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      delegate 0
    end)

  (func (export "break-out-of-delegating")
    block $out
      try
        br $out
      delegate 0
    end)
"#,
    calls: &[
        call!("to-try" (I32(0)) => I32(1)),
        call!("to-try" (I32(1)) => I32(2)),
        call!("to-try" (I32(2)) => I32(3)),
        call!("skips-inner" (I32(0)) => I32(1)),
        call!("skips-inner" (I32(1)) => I32(2)),
        call!("skips-inner" (I32(2)) => I32(3)),
        call!("to-block" (I32(0)) => I32(1)),
        call!("to-block" (I32(1)) => I32(2)),
        call!("to-loop" (I32(0)) => I32(1)),
        call!("to-loop" (I32(1)) => I32(2)),
        call!("to-try-in-handler" (I32(0)) => I32(1)),
        call!("to-try-in-handler" (I32(1)) => I32(2)),
        call!("to-catchless" (I32(0)) => I32(1)),
        call!("to-catchless" (I32(1)) => I32(2)),
        call!("chain" (I32(0)) => I32(1)),
        call!("chain" (I32(1)) => I32(2)),
        call!("chain" (I32(2)) => I32(3)),
        call!("to-caller" (I32(0)) => I32(1)),
        call!("to-caller" (I32(1)) => throws),
        call!("caught-by-caller" (I32(1)) => I32(9)),
        call!("caught-by-caller" (I32(2)) => throws),
        call!("to-caller-from-handler" (I32(0)) => I32(1)),
        call!("to-caller-from-handler" (I32(1)) => throws),
        call!("break-out-of-delegating" () =>),
    ],
};

/// `rethrow` at depth 0, from nested handlers, from a block inside a
/// handler, from inside another `try` body (where it is caught again), and
/// with the exception's values kept.
pub(super) const RETHROWING: Fixture = Fixture {
    name: "rethrowing",
    fields: r#"
  (func $nested (param i32) (result i32)
    try (result i32)
      throw $e1
    catch $e1
      try (result i32)
        throw $e0
      catch $e0
        local.get 0
        i32.const 0
        i32.eq
        if
          rethrow 1
        end
        block
          local.get 0
          i32.const 1
          i32.eq
          br_if 0
          rethrow 2
        end
        i32.const 23
      end
    end)

  (func (export "nested") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $nested
    catch $e0
      i32.const 100
    catch $e1
      i32.const 200
    end)

  (func (export "depth-0") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        call $raise
        i32.const 1
      catch_all
        rethrow 0
      end
    catch $ei
    catch_all
      i32.const 2
    end)

  (func (export "recaught") (param i32) (result i32)
    try (result i32)
      throw $e0
    catch $e0
      try (result i32)
        local.get 0
        i32.eqz
        if
          rethrow 2
        end
        i32.const 42
      catch $e0
        i32.const 23
      end
    end)

  (func $after-nested (result i32)
    try (result i32)
      i32.const 7
      throw $ei
    catch $ei
      try
        throw $e0
      catch $e0
      end
      drop
      rethrow 0
    end)

  (func $after-sibling (result i32)
    try (result i32)
      try
        throw $e0
      catch $e0
      end
      i32.const 8
      throw $ei
    catch $ei
      drop
      rethrow 0
    end)

  (func (export "keeps-exception") (param i32) (result i32)
    try (result i32)
      local.get 0
      if (result i32)
        call $after-nested
      else
        call $after-sibling
      end
    catch $ei
    catch $e0
      i32.const -1
    end)

  (func (export "rethrow-then-dead-code") (result i32)
    try (result i32)
      throw $e0
    catch_all
      rethrow 0
      i32.const 1
      drop
      br 0
    end)
"#,
    calls: &[
        call!("nested" (I32(0)) => I32(100)),
        call!("nested" (I32(1)) => I32(23)),
        call!("nested" (I32(2)) => I32(200)),
        call!("depth-0" (I32(0)) => I32(1)),
        call!("depth-0" (I32(3)) => I32(42)),
        call!("depth-0" (I32(1)) => I32(2)),
        call!("recaught" (I32(0)) => I32(23)),
        call!("recaught" (I32(1)) => I32(42)),
        call!("keeps-exception" (I32(1)) => I32(7)),
        call!("keeps-exception" (I32(0)) => I32(8)),
        call!("rethrow-then-dead-code" () => throws),
    ],
};
