//! Writes the rewritten module: every section is copied byte for byte except
//! the type section (new function types appended) and the code section
//! (rewritten bodies in place of the legacy ones).

use wasm_encoder::{CodeSection, Encode, Function, Module, RawSection, SectionId};
use wasmparser::{Parser, Payload};

use super::error::RewriteError;
use super::module_info::ModuleInfo;
use super::types::TypeInterner;

/// Section and body sizes are u32 in the binary format, and wasm-encoder
/// asserts on anything larger; the margin leaves room for the item count
/// that is encoded in front of a section's items.
const MAX_SECTION: usize = u32::MAX as usize - 16;

/// Builds the output module. `rewritten[i]` replaces the i-th code entry
/// when present; the other entries are copied.
pub(crate) fn assemble(
    wasm: &[u8],
    info: &ModuleInfo<'_>,
    types: &TypeInterner,
    rewritten: &[Option<Function>],
) -> Result<Vec<u8>, RewriteError> {
    let mut module = Module::new();
    let mut types_written = false;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| RewriteError::at("malformed module", None, &e))?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let is_custom = id == SectionId::Custom as u8;
        if !types_written && !is_custom && id != SectionId::Type as u8 && types.added() > 0 {
            // No type section: the new types need one of their own, first.
            let data = type_section(&[], 0, types)?;
            module.section(&RawSection {
                id: SectionId::Type as u8,
                data: &data,
            });
            types_written = true;
        }
        match payload {
            Payload::TypeSection(reader) => {
                let entries = wasm
                    .get(reader.original_position()..range.end)
                    .ok_or_else(|| RewriteError::internal("type section range"))?;
                let data = type_section(entries, reader.count(), types)?;
                module.section(&RawSection { id, data: &data });
                types_written = true;
            }
            Payload::CodeSectionStart { .. } => {
                module.section(&code_section(info, rewritten)?);
            }
            _ => {
                let data = wasm
                    .get(range)
                    .ok_or_else(|| RewriteError::internal("section range"))?;
                module.section(&RawSection { id, data });
            }
        }
    }
    Ok(module.finish())
}

/// The contents of the type section: the original `entries` (`count` of
/// them, in binary form) followed by the added types.
fn type_section(entries: &[u8], count: u32, types: &TypeInterner) -> Result<Vec<u8>, RewriteError> {
    let total = u32::try_from(types.added())
        .ok()
        .and_then(|added| count.checked_add(added))
        .ok_or_else(|| RewriteError::new("too many types after rewriting"))?;
    let mut data = Vec::new();
    total.encode(&mut data);
    data.extend_from_slice(entries);
    types.encode_added(&mut data);
    if data.len() > MAX_SECTION {
        return Err(RewriteError::new("type section too large after rewriting"));
    }
    Ok(data)
}

/// The code section, with the rewritten bodies in place.
fn code_section(
    info: &ModuleInfo<'_>,
    rewritten: &[Option<Function>],
) -> Result<CodeSection, RewriteError> {
    let too_large = || RewriteError::new("code section too large after rewriting");
    let mut code = CodeSection::new();
    for (index, entry) in info.bodies.iter().enumerate() {
        match rewritten.get(index) {
            Some(Some(function)) => {
                if function.byte_len() > MAX_SECTION {
                    return Err(too_large());
                }
                code.function(function);
            }
            _ => {
                code.raw(entry.body.as_bytes());
            }
        }
        if code.byte_len() > MAX_SECTION {
            return Err(too_large());
        }
    }
    Ok(code)
}
