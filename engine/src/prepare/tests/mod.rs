//! Tests of the WAMR preparation: what the scan reads, what the helpers
//! change, and the C entry points. Every prepared module is validated.

mod ffi;
mod helpers;
mod scan;

use wasmparser::{Parser, Payload, Validator, WasmFeatures};

use super::{prepare_for_wamr, Prepared, Scan};

/// The binary form of a test module.
fn wasm(wat: &str) -> Vec<u8> {
    match wat::parse_str(wat) {
        Ok(bytes) => bytes,
        Err(error) => panic!("test WAT does not parse: {error}"),
    }
}

/// The scan of a module the scan must understand.
fn scan_of(bytes: &[u8]) -> Scan {
    match prepare_for_wamr(bytes).scan {
        Some(scan) => scan,
        None => panic!("the scan does not understand the module"),
    }
}

/// Prepares `wat`, which must need changes, and checks that the result is a
/// valid module.
fn prepare(wat: &str) -> Prepared {
    let prepared = prepare_for_wamr(&wasm(wat));
    match &prepared.module {
        Some(module) => check_valid(module),
        None => panic!("expected a prepared module, got {prepared:?}"),
    }
    prepared
}

/// Panics unless `bytes` validate with every feature on.
fn check_valid(bytes: &[u8]) {
    if let Err(error) = Validator::new_with_features(WasmFeatures::all()).validate_all(bytes) {
        panic!("prepared module is invalid: {error}");
    }
}

/// The ids of the module's sections, in order (custom sections as 0).
fn section_ids(bytes: &[u8]) -> Vec<u8> {
    let mut ids = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(payload) => {
                if let Some((id, _)) = payload.as_section() {
                    ids.push(id);
                }
            }
            Err(error) => panic!("module does not parse: {error}"),
        }
    }
    ids
}

/// The module's exports as (name, kind byte, index).
fn exports(bytes: &[u8]) -> Vec<(String, u8, u32)> {
    let mut result = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::ExportSection(reader)) = payload {
            for export in reader.into_iter().flatten() {
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func => 0,
                    wasmparser::ExternalKind::Table => 1,
                    wasmparser::ExternalKind::Memory => 2,
                    wasmparser::ExternalKind::Global => 3,
                    _ => 4,
                };
                result.push((export.name.to_string(), kind, export.index));
            }
        }
    }
    result
}

/// The raw bytes of every function body, in order.
fn bodies(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut result = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload {
            result.push(bytes[body.range()].to_vec());
        }
    }
    result
}
