//! The exact output for small modules, written out by hand in the standard
//! form: these pin down the translation scheme itself (block nesting, label
//! depths, new types, the exception locals).

use super::{rewrite, sections, wasm};

/// Checks that rewriting `legacy` gives `expected`, custom sections aside.
fn assert_rewrites_to(legacy: &str, expected: &str) {
    let output = rewrite(legacy);
    assert_eq!(
        sections(&output, false),
        sections(&wasm(expected), false),
        "\n{}",
        super::dump(&output)
    );
}

#[test]
fn try_with_catch_and_catch_all() {
    assert_rewrites_to(
        r#"(module
          (type (func (param i32) (result i32)))
          (type (func (param i32)))
          (tag (type 1))
          (func (type 0)
            try (result i32)
              local.get 0
              throw 0
            catch 0
              i32.const 1
              i32.add
            catch_all
              rethrow 0
            end))"#,
        r#"(module
          (type (func (param i32) (result i32)))
          (type (func (param i32)))
          (type (func (result i32 exnref)))
          (tag (type 1))
          (func (type 0) (local exnref)
            block (result i32)
              block (result exnref)
                block (type 2)
                  try_table (result i32) (catch_ref 0 0) (catch_all_ref 1)
                    local.get 0
                    throw 0
                  end
                  br 2
                end
                local.set 1
                i32.const 1
                i32.add
                br 1
              end
              local.set 1
              local.get 1
              throw_ref
            end))"#,
    );
}

#[test]
fn delegate_to_try_and_to_caller_with_block_params() {
    assert_rewrites_to(
        r#"(module
          (type (func))
          (type (func (param i32) (result i32)))
          (tag (type 0))
          (func (type 1)
            local.get 0
            try (type 1)
              try (type 1)
                drop
                throw 0
              delegate 0
            catch_all
              i32.const 7
            end
            try (type 1)
              throw 0
            delegate 0))"#,
        r#"(module
          (type (func))
          (type (func (param i32) (result i32)))
          (type (func (param i32) (result exnref)))
          (tag (type 0))
          (func (type 1) (local exnref)
            block (result exnref)
              local.get 0
              block (type 1)
                block (type 2)
                  try_table (type 1) (catch_all_ref 0)
                    block (type 2)
                      try_table (type 1) (catch_all_ref 0)
                        drop
                        throw 0
                      end
                      br 1
                    end
                    throw_ref
                  end
                  br 1
                end
                local.set 1
                i32.const 7
              end
              try_table (type 1) (catch_all_ref 0)
                throw 0
              end
              return
            end
            throw_ref))"#,
    );
}

#[test]
fn rethrow_from_a_nested_handler_uses_the_outer_level() {
    assert_rewrites_to(
        r#"(module
          (type (func))
          (tag (type 0))
          (func (type 0)
            try
              throw 0
            catch_all
              try
                throw 0
              catch 0
                block
                  rethrow 2
                end
                rethrow 0
              end
            end))"#,
        r#"(module
          (type (func))
          (tag (type 0))
          (func (type 0) (local exnref exnref)
            block
              block (result exnref)
                try_table (catch_all_ref 0)
                  throw 0
                end
                br 1
              end
              local.set 0
              block
                block (result exnref)
                  try_table (catch_ref 0 0)
                    throw 0
                  end
                  br 1
                end
                local.set 1
                block
                  local.get 0
                  throw_ref
                end
                local.get 1
                throw_ref
              end
            end))"#,
    );
}
