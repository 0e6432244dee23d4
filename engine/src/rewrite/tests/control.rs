//! Label immediates: every wasmparser operator that names a label must be
//! translated by the rewriter. A new wasmparser version that adds one fails
//! `every_labelled_operator_is_translated` until `labels` handles it.

use super::rewrite;

/// Operators whose label immediates `labels::Frames` translates
/// (`remap_labels`, `br_table`) or that `emit` replaces (`rethrow`,
/// `delegate`).
const TRANSLATED: &[&str] = &[
    "Br",
    "BrIf",
    "BrTable",
    "BrOnNull",
    "BrOnNonNull",
    "BrOnCast",
    "BrOnCastFail",
    "BrOnCastDescEq",
    "BrOnCastDescEqFail",
    "TryTable",
    "Resume",
    "ResumeThrow",
    "ResumeThrowRef",
    "Rethrow",
    "Delegate",
];

/// Collects the name of every operator with an immediate that is a label:
/// `relative_depth`, `targets` (br_table), `try_table` (catch labels) or
/// `resume_table` (`on` labels).
macro_rules! labelled_operators {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {{
        let mut names: Vec<&'static str> = Vec::new();
        $(
            let fields: &[&str] = &[$($(stringify!($arg)),*)?];
            if fields.iter().any(|f| {
                matches!(*f, "relative_depth" | "targets" | "try_table" | "resume_table")
            }) {
                names.push(stringify!($op));
            }
        )*
        names
    }};
}

#[test]
fn every_labelled_operator_is_translated() {
    let mut found = wasmparser::for_each_operator!(labelled_operators);
    found.sort_unstable();
    let mut expected = TRANSLATED.to_vec();
    expected.sort_unstable();
    assert_eq!(found, expected);
}

#[test]
fn resume_handler_labels_are_translated() {
    rewrite(
        r#"(module
          (type $ft (func))
          (type $ct (cont $ft))
          (tag $yield)
          (func (param (ref null $ct))
            block $h (result (ref $ct))
              try
                local.get 0
                resume $ct (on $yield $h)
              catch_all
              end
              return
            end
            drop))"#,
    );
}

#[test]
fn branch_on_cast_failure_and_non_null_are_translated() {
    rewrite(
        r#"(module
          (func (param anyref) (result i32)
            block $fail (result anyref)
              block $some (result (ref any))
                try
                  local.get 0
                  br_on_non_null $some
                  try
                    local.get 0
                    br_on_cast_fail $fail anyref i31ref
                    drop
                  delegate 1
                catch_all
                end
                i32.const 0
                return
              end
              drop
              i32.const 1
              return
            end
            drop
            i32.const 2))"#,
    );
}
