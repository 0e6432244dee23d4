//! Validation of a module before it is rewritten: the translation relies on
//! a well-formed control structure, and an invalid module must be reported
//! against its own bytes, not against the rewritten ones.

use wasmparser::{Validator, WasmFeatures};

use super::error::RewriteError;
use super::module_info::ModuleInfo;

/// Validates `wasm` with legacy exception handling and every other feature
/// wasmparser knows enabled (a superset of what Wasmtime accepts; Wasmtime
/// checks its own set when it compiles the rewritten module).
pub(crate) fn validate(wasm: &[u8], info: &ModuleInfo<'_>) -> Result<(), RewriteError> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    match validator.validate_all(wasm) {
        Ok(_) => Ok(()),
        Err(error) => Err(match info.function_containing(error.offset()) {
            Some(function) => {
                RewriteError::at("invalid legacy exception handling", Some(function), &error)
            }
            None => RewriteError::at("invalid module", None, &error),
        }),
    }
}
