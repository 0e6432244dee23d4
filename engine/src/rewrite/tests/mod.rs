//! Tests of the legacy exception-handling rewriter. Every rewritten module is
//! validated with legacy exception handling off and standard exception
//! handling on.

mod constructs;
mod control;
mod errors;
#[cfg(feature = "wasmtime")]
mod exec;
mod fixtures;
mod fixtures_catch;
mod fixtures_control;
mod fixtures_delegate;
mod fuzz;
mod golden;
mod module;

use wasmparser::{Operator, Parser, Payload, Validator, WasmFeatures};

use super::{rewrite_legacy_eh, Outcome};

/// The binary form of a test module.
fn wasm(wat: &str) -> Vec<u8> {
    match wat::parse_str(wat) {
        Ok(bytes) => bytes,
        Err(error) => panic!("test WAT does not parse: {error}"),
    }
}

/// Rewrites `wat`, which must use legacy exception handling, and checks that
/// the output is a valid module without it.
fn rewrite(wat: &str) -> Vec<u8> {
    rewrite_bytes(&wasm(wat))
}

fn rewrite_bytes(input: &[u8]) -> Vec<u8> {
    match rewrite_legacy_eh(input) {
        Ok(Outcome::Rewritten(output)) => {
            check_standard(&output);
            output
        }
        other => panic!("expected a rewritten module, got {other:?}"),
    }
}

/// Panics unless `bytes` validate without legacy exception handling.
fn check_standard(bytes: &[u8]) {
    let features = WasmFeatures::all().difference(WasmFeatures::LEGACY_EXCEPTIONS);
    if let Err(error) = Validator::new_with_features(features).validate_all(bytes) {
        panic!("rewritten module is invalid: {error}\n{}", dump(bytes));
    }
}

/// The operators of every function body, one `Debug` line each, for
/// assertions and for failure messages.
fn bodies(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut result = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            let mut ops = Vec::new();
            if let Ok(mut reader) = body.get_operators_reader() {
                while let Ok(op) = reader.read() {
                    ops.push(format!("{op:?}"));
                }
            }
            result.push(ops);
        }
    }
    result
}

/// A readable listing of the function bodies.
fn dump(bytes: &[u8]) -> String {
    let mut text = String::new();
    for (index, ops) in bodies(bytes).iter().enumerate() {
        text.push_str(&format!("body {index}:\n"));
        for op in ops {
            text.push_str(&format!("  {op}\n"));
        }
    }
    text
}

/// Whether any body of `bytes` still has a legacy operator.
fn has_legacy_operator(bytes: &[u8]) -> bool {
    let mut found = false;
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            if let Ok(mut reader) = body.get_operators_reader() {
                while let Ok(op) = reader.read() {
                    found |= matches!(
                        op,
                        Operator::Try { .. }
                            | Operator::Catch { .. }
                            | Operator::CatchAll
                            | Operator::Delegate { .. }
                            | Operator::Rethrow { .. }
                    );
                }
            }
        }
    }
    found
}

/// The sections of a module as (id, contents), optionally without the
/// custom sections.
fn sections(bytes: &[u8], with_custom: bool) -> Vec<(u8, Vec<u8>)> {
    let mut result = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.expect("module parses");
        if let Some((id, range)) = payload.as_section() {
            if with_custom || id != 0 {
                result.push((id, bytes[range].to_vec()));
            }
        }
    }
    result
}
