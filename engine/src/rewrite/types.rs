//! Function types that the rewritten bodies need for their new blocks, added
//! at the end of the type section so that no existing type index moves.

use std::collections::HashMap;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Encode, ValType};

use super::error::RewriteError;

/// The binary form's tag for a function type.
const FUNC_TYPE_FORM: u8 = 0x60;

/// Hands out type indices for new function types, one per distinct
/// signature, numbered after the module's own types.
pub(crate) struct TypeInterner {
    first_index: u32,
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    indices: HashMap<(Vec<ValType>, Vec<ValType>), u32>,
}

impl TypeInterner {
    /// `existing` is the number of types the module already defines.
    pub fn new(existing: usize) -> Result<Self, RewriteError> {
        let first_index = u32::try_from(existing)
            .map_err(|_| RewriteError::new("too many types in the module"))?;
        Ok(TypeInterner {
            first_index,
            types: Vec::new(),
            indices: HashMap::new(),
        })
    }

    /// The block type for a block taking `params` and yielding `results`:
    /// the short forms when they suffice, else a (possibly new) type index.
    pub fn block_type(
        &mut self,
        params: &[wasmparser::ValType],
        results: &[ValType],
    ) -> Result<BlockType, RewriteError> {
        if params.is_empty() {
            match results {
                [] => return Ok(BlockType::Empty),
                [only] => return Ok(BlockType::Result(*only)),
                _ => {}
            }
        }
        let params = convert(params)?;
        let key = (params, results.to_vec());
        if let Some(index) = self.indices.get(&key) {
            return Ok(BlockType::FunctionType(*index));
        }
        let index = u32::try_from(self.types.len())
            .ok()
            .and_then(|added| self.first_index.checked_add(added))
            .ok_or_else(|| RewriteError::new("too many types after rewriting"))?;
        self.types.push(key.clone());
        self.indices.insert(key, index);
        Ok(BlockType::FunctionType(index))
    }

    /// How many types were added.
    pub fn added(&self) -> usize {
        self.types.len()
    }

    /// Appends the binary form of every added type (each a rec group of its
    /// own, written in the short form) to `sink`.
    pub fn encode_added(&self, sink: &mut Vec<u8>) {
        for (params, results) in &self.types {
            sink.push(FUNC_TYPE_FORM);
            params.as_slice().encode(sink);
            results.as_slice().encode(sink);
        }
    }
}

/// Converts wasmparser value types into wasm-encoder ones.
pub(crate) fn convert(types: &[wasmparser::ValType]) -> Result<Vec<ValType>, RewriteError> {
    types
        .iter()
        .map(|ty| RoundtripReencoder.val_type(*ty).map_err(RewriteError::from))
        .collect()
}
