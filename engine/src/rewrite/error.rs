//! The rewriter's one error type: a message meant for the person loading the
//! module, which names the function and byte offset when it can.

use std::fmt;

use wasmparser::BinaryReaderError;

/// Why a module could not be rewritten.
///
/// Input problems (malformed or invalid modules) and broken invariants of the
/// rewriter itself both end up here: the release build aborts on panic, and a
/// bug in the rewriter must not take the Erlang VM down with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteError {
    message: String,
}

impl RewriteError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        RewriteError {
            message: message.into(),
        }
    }

    /// A broken invariant of the rewriter (a bug, not bad input).
    pub(crate) fn internal(what: &str) -> Self {
        Self::new(format!(
            "internal error in the legacy exception-handling rewriter: {what}"
        ))
    }

    /// A wasmparser error, with the function it happened in when known.
    ///
    /// `what` says which stage failed, e.g. "malformed module".
    pub(crate) fn at(what: &str, function: Option<u32>, error: &BinaryReaderError) -> Self {
        let offset = error.offset();
        // Some wasmparser messages span lines; keep ours to one.
        let message = error
            .message()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match function {
            Some(index) => Self::new(format!(
                "{what} in function {index} at offset {offset:#x}: {message}"
            )),
            None => Self::new(format!("{what} at offset {offset:#x}: {message}")),
        }
    }

    /// Adds the function index to a message that lacks it.
    pub(crate) fn in_function(self, function: Option<u32>) -> Self {
        match function {
            Some(index) => Self::new(format!("{} (function {index})", self.message)),
            None => self,
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RewriteError {}

/// Lets `?` turn a re-encoding failure into an error of ours.
impl<E: fmt::Display> From<wasm_encoder::reencode::Error<E>> for RewriteError {
    fn from(error: wasm_encoder::reencode::Error<E>) -> Self {
        Self::internal(&format!("cannot re-encode: {error}"))
    }
}
