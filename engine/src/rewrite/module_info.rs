//! What the rewriter needs to know about a module, read in one pass over the
//! sections: the signatures behind type, function and tag indices, and where
//! each function body is and whether it uses legacy exception handling.

use std::ops::Range;

use wasmparser::{
    BinaryReaderError, CompositeInnerType, FunctionBody, Operator, Parser, Payload, TypeRef,
    ValType,
};

use super::error::RewriteError;

/// The parameter and result types of a function type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Signature {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// One entry of the code section.
pub(crate) struct Body<'a> {
    pub body: FunctionBody<'a>,
    /// Whether the body contains `try`, `catch`, `catch_all`, `delegate` or
    /// `rethrow`; only those bodies are rewritten.
    pub legacy_eh: bool,
}

/// The facts about a module that the rewriter needs, borrowed from its bytes.
#[derive(Default)]
pub(crate) struct ModuleInfo<'a> {
    /// Indexed by type index; `None` for struct, array and continuation types.
    pub types: Vec<Option<Signature>>,
    pub has_type_section: bool,
    pub imported_functions: u32,
    /// The type index of each function the module defines, in code order.
    pub defined_function_types: Vec<u32>,
    /// The type index of each tag, imported tags first.
    pub tag_types: Vec<u32>,
    pub bodies: Vec<Body<'a>>,
}

impl<'a> ModuleInfo<'a> {
    /// Reads `wasm` without validating it. Malformed input is an error that
    /// names the function (when inside a body) and the byte offset.
    pub fn read(wasm: &'a [u8]) -> Result<Self, RewriteError> {
        let mut info = ModuleInfo::default();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| info.malformed(&e))?;
            info.record(payload)
                .map_err(|e| RewriteError::at("malformed module", None, &e))?;
        }
        let imported = info.imported_functions;
        for (index, entry) in info.bodies.iter_mut().enumerate() {
            entry.legacy_eh = scan_for_legacy_eh(&entry.body).map_err(|e| {
                RewriteError::at("malformed module", function_index(imported, index), &e)
            })?;
        }
        Ok(info)
    }

    /// Whether any function body uses legacy exception handling.
    pub fn uses_legacy_eh(&self) -> bool {
        self.bodies.iter().any(|body| body.legacy_eh)
    }

    /// The function index of the `body`-th entry of the code section.
    pub fn function_at(&self, body: usize) -> Option<u32> {
        function_index(self.imported_functions, body)
    }

    /// The function whose code entry contains byte `offset`, if any.
    pub fn function_containing(&self, offset: usize) -> Option<u32> {
        let ranges: Vec<Range<usize>> = self.bodies.iter().map(|b| b.body.range()).collect();
        // Bodies are stored in increasing offset order.
        let after = ranges.partition_point(|range| range.start <= offset);
        let candidate = after.checked_sub(1)?;
        ranges
            .get(candidate)?
            .contains(&offset)
            .then(|| self.function_at(candidate))
            .flatten()
    }

    /// The signature of type `index`, which must be a function type.
    pub fn signature(&self, index: u32) -> Result<&Signature, RewriteError> {
        let index = usize::try_from(index).map_err(|_| RewriteError::internal("type index"))?;
        match self.types.get(index) {
            Some(Some(signature)) => Ok(signature),
            _ => Err(RewriteError::internal("type index is not a function type")),
        }
    }

    /// The parameter types of tag `tag`.
    pub fn tag_params(&self, tag: u32) -> Result<&[ValType], RewriteError> {
        let tag = usize::try_from(tag).map_err(|_| RewriteError::internal("tag index"))?;
        let ty = self
            .tag_types
            .get(tag)
            .ok_or_else(|| RewriteError::internal("tag index out of range"))?;
        Ok(&self.signature(*ty)?.params)
    }

    /// The number of parameters of the `body`-th defined function.
    pub fn param_count(&self, body: usize) -> Result<usize, RewriteError> {
        let ty = self
            .defined_function_types
            .get(body)
            .ok_or_else(|| RewriteError::internal("function without a type"))?;
        Ok(self.signature(*ty)?.params.len())
    }

    fn malformed(&self, error: &BinaryReaderError) -> RewriteError {
        let function = self.function_containing(error.offset());
        RewriteError::at("malformed module", function, error)
    }

    fn record(&mut self, payload: Payload<'a>) -> Result<(), BinaryReaderError> {
        match payload {
            Payload::TypeSection(reader) => {
                self.has_type_section = true;
                for group in reader {
                    for sub_type in group?.into_types() {
                        self.types.push(match sub_type.composite_type.inner {
                            CompositeInnerType::Func(func) => Some(Signature {
                                params: func.params().to_vec(),
                                results: func.results().to_vec(),
                            }),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => {
                            self.imported_functions = self.imported_functions.saturating_add(1);
                        }
                        TypeRef::Tag(tag) => self.tag_types.push(tag.func_type_idx),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.defined_function_types.push(ty?);
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    self.tag_types.push(tag?.func_type_idx);
                }
            }
            Payload::CodeSectionEntry(body) => self.bodies.push(Body {
                body,
                legacy_eh: false,
            }),
            _ => {}
        }
        Ok(())
    }
}

/// The function index of the `body`-th code entry after `imported` imports.
fn function_index(imported: u32, body: usize) -> Option<u32> {
    imported.checked_add(u32::try_from(body).ok()?)
}

/// Whether `body` uses a legacy exception-handling operator. Reads the whole
/// body, so that a malformed one is reported here.
fn scan_for_legacy_eh(body: &FunctionBody<'_>) -> Result<bool, BinaryReaderError> {
    let mut found = false;
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        found |= matches!(
            reader.read()?,
            Operator::Try { .. }
                | Operator::Catch { .. }
                | Operator::CatchAll
                | Operator::Delegate { .. }
                | Operator::Rethrow { .. }
        );
    }
    reader.finish()?;
    Ok(found)
}
