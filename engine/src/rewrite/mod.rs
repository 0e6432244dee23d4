//! Load-time module rewriting for the Wasmtime engine.
//!
//! Wasmtime implements only the standard exception-handling instructions
//! (`try_table`, `throw_ref`, `exnref`), while Emscripten emits the legacy
//! ones (`try`/`catch`/`catch_all`/`delegate`/`rethrow`). `rewrite_legacy_eh`
//! translates the latter into the former; modules without legacy
//! instructions are reported as unchanged so the caller keeps its own bytes.
//!
//! The rewriter never panics on any input (the release build aborts on
//! panic): malformed and invalid modules are errors.

mod analyze;
mod assemble;
mod emit;
mod error;
mod labels;
mod module_info;
mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use error::RewriteError;

use module_info::ModuleInfo;
use types::TypeInterner;

/// What `rewrite_legacy_eh` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The module has no legacy exception handling; use the input as is.
    Unchanged,
    /// The rewritten module, which uses only standard exception handling.
    Rewritten(Vec<u8>),
}

/// Rewrites the legacy exception-handling instructions of `wasm` into the
/// standard ones.
///
/// The input is validated (with legacy exception handling enabled) before
/// anything is rewritten, so errors point into the caller's own bytes: the
/// message names the function index and byte offset when the problem is in
/// a function body. Function, table, memory, global and tag indices are
/// preserved, so name sections and other custom sections stay valid; new
/// function types are added after the existing ones.
pub fn rewrite_legacy_eh(wasm: &[u8]) -> Result<Outcome, RewriteError> {
    let info = ModuleInfo::read(wasm)?;
    if !info.uses_legacy_eh() {
        return Ok(Outcome::Unchanged);
    }
    validate::validate(wasm, &info)?;
    let mut types = TypeInterner::new(info.types.len())?;
    let mut rewritten = Vec::with_capacity(info.bodies.len());
    for (index, body) in info.bodies.iter().enumerate() {
        rewritten.push(if body.legacy_eh {
            let function = emit::translate(&info, &mut types, index)
                .map_err(|e| e.in_function(info.function_at(index)))?;
            Some(function)
        } else {
            None
        });
    }
    assemble::assemble(wasm, &info, &types, &rewritten).map(Outcome::Rewritten)
}
