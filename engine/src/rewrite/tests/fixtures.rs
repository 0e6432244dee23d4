//! Legacy exception-handling modules with the results their exports must
//! give. The wamr build checks that each rewrites into a valid module; the
//! wasmtime build also runs the rewritten modules (see `exec`).

/// A value passed to or returned by an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value {
    I32(i32),
    I64(i64),
}

/// What a call must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Returns(&'static [Value]),
    /// An exception escapes the call.
    Throws,
    /// A trap (traps are never caught).
    Traps,
}

/// One call of an export.
#[derive(Debug)]
pub(super) struct Call {
    pub export: &'static str,
    pub args: &'static [Value],
    pub expect: Expect,
}

/// One module and the calls to check on it.
pub(super) struct Fixture {
    pub name: &'static str,
    /// The module's fields; `RAISE` is added in front.
    pub fields: &'static str,
    pub calls: &'static [Call],
}

impl Fixture {
    /// The whole module in the text format.
    pub fn text(&self) -> String {
        format!("(module {RAISE} {})", self.fields)
    }
}

/// `call!("export" (args) => results)`, `=> throws` or `=> traps`.
macro_rules! call {
    ($export:literal ($($arg:expr),*) => throws) => {
        $crate::rewrite::tests::fixtures::Call {
            export: $export,
            args: &[$($arg),*],
            expect: $crate::rewrite::tests::fixtures::Expect::Throws,
        }
    };
    ($export:literal ($($arg:expr),*) => traps) => {
        $crate::rewrite::tests::fixtures::Call {
            export: $export,
            args: &[$($arg),*],
            expect: $crate::rewrite::tests::fixtures::Expect::Traps,
        }
    };
    ($export:literal ($($arg:expr),*) => $($result:expr),*) => {
        $crate::rewrite::tests::fixtures::Call {
            export: $export,
            args: &[$($arg),*],
            expect: $crate::rewrite::tests::fixtures::Expect::Returns(&[$($result),*]),
        }
    };
}
pub(super) use call;

/// Shared by every fixture: `$raise n` throws nothing (n = 0 or n > 4),
/// `$e0` (1), `$e1` (2), `$ei 42` (3) or `$emix 1 20 300.5 4000.25` (4).
const RAISE: &str = r#"
  (tag $e0) (tag $e1) (tag $ei (param i32)) (tag $emix (param i32 i64 f32 f64))
  (func $raise (param $which i32)
    local.get $which
    i32.const 1
    i32.eq
    if
      throw $e0
    end
    local.get $which
    i32.const 2
    i32.eq
    if
      throw $e1
    end
    local.get $which
    i32.const 3
    i32.eq
    if
      i32.const 42
      throw $ei
    end
    local.get $which
    i32.const 4
    i32.eq
    if
      i32.const 1
      i64.const 20
      f32.const 300.5
      f64.const 4000.25
      throw $emix
    end)
"#;

/// Every fixture.
pub(super) fn all() -> [&'static Fixture; 8] {
    use super::{fixtures_catch as c, fixtures_control as k, fixtures_delegate as d};
    [
        &c::CATCHING,
        &c::BLOCK_TYPES,
        &d::DELEGATING,
        &d::RETHROWING,
        &k::BRANCHES,
        &k::LOOPS_AND_IFS,
        &k::MEMORY64,
        &k::REFERENCES,
    ]
}
