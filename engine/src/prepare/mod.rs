//! The engine crate's reading of module binaries, for both engines, and the
//! load-time preparation of modules for WAMR.
//!
//! [`scan_module`] is engine-neutral: it reads the kinds of the imports, the
//! exact limits of tables and memories (64-bit ones included) and the
//! exports, which wasm.h cannot report (Wasmtime's C API aborts the process
//! on a table64's limits past 2^32; WAMR's reports neither memory64 nor
//! indices). Both adapters get them from here. The rest is for WAMR only.
//!
//! WAMR's wasm.h cannot tell some things hb_beamr needs (exact memory and
//! table limits, memory64, exports with their kinds and indices, the start
//! function), and WAMR loads some modules in a way hb_beamr cannot use. So
//! before WAMR sees a module, the adapter (`core/src/engine_wamr.cpp`) has
//! it scanned and, where needed, changed here:
//!
//! - WAMR runs a start function inside instantiation, where nothing can
//!   reach it to interrupt it. So a module with a start function has it
//!   exported as [`START_EXPORT`] instead, and its start section removed;
//!   the adapter calls it right after instantiation, as an interruptible
//!   call.
//! - WAMR's loader fixes a memory at its initial size (maximum = minimum)
//!   when no function of the module uses `memory.size` or `memory.grow`, and
//!   then the host cannot grow it either. So a module with a memory gets one
//!   more function, never exported nor called, that uses `memory.size`.
//! - Tag exports are dropped (WAMR's wasm.h would corrupt its export list on
//!   them).
//!
//! A type and a function are appended, so every existing index stays. A
//! module that already exports [`START_EXPORT`], or one the scan does not
//! understand, keeps its start function (which then cannot be interrupted);
//! one the scan does not understand is loaded unchanged.
//!
//! The scan is deliberately shallow and forgiving (it reads the sections
//! hb_beamr needs and skips the rest); WAMR validates the module itself.
//! Nothing here panics, whatever the input.

mod helpers;
mod reader;
mod scan;

#[cfg(test)]
mod tests;

/// The name the start function is exported under in a prepared module.
pub const START_EXPORT: &str = "__hb_beamr_start";

/// The kind of an import or export, as the binary format numbers it.
pub const KIND_FUNC: u8 = 0x00;
pub const KIND_TABLE: u8 = 0x01;
pub const KIND_MEMORY: u8 = 0x02;
pub const KIND_GLOBAL: u8 = 0x03;
pub const KIND_TAG: u8 = 0x04;

/// The limits of a memory or table, as the binary declares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub min: u64,
    pub max: u64,
    pub has_max: bool,
    /// A memory64 memory (or a table with 64-bit indices).
    pub is64: bool,
}

/// One export, tags left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The name's bytes (not checked to be UTF-8).
    pub name: Vec<u8>,
    /// One of the `KIND_*` values (or a kind this scan does not know).
    pub kind: u8,
    pub index: u32,
}

/// What the scan read from a module it understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Whether `tables` is complete: false when a table's initializer
    /// expression holds an instruction the scan does not know (and so
    /// cannot skip).
    pub limits_known: bool,
    /// The kind of every import but tags (`KIND_*`), in module order.
    pub import_kinds: Vec<u8>,
    /// Imported, then defined.
    pub tables: Vec<Limits>,
    /// Imported, then defined.
    pub memories: Vec<Limits>,
    /// In module order, tags left out.
    pub exports: Vec<Export>,
    pub(crate) layout: scan::Layout,
}

/// What [`prepare_for_wamr`] found and made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// None when the scan did not understand the module.
    pub scan: Option<Scan>,
    /// The module as WAMR should load it, or None to load the original.
    pub module: Option<Vec<u8>>,
    /// Whether `module` exports the start function as [`START_EXPORT`]
    /// instead of having a start section (never without `module`).
    pub deferred_start: bool,
}

/// Scans `wasm`, or None if its structure is not understood: a bad header,
/// a section that is truncated, unknown, repeated or out of order, an import
/// of a kind newer than tags, or an encoding the scan does not know. The
/// module is not validated.
pub fn scan_module(wasm: &[u8]) -> Option<Scan> {
    scan::scan(wasm)
}

/// Scans `wasm` and makes the changes described in the module docs.
pub fn prepare_for_wamr(wasm: &[u8]) -> Prepared {
    let Some(scan) = scan::scan(wasm) else {
        return Prepared::default();
    };
    let module = helpers::with_helpers(wasm, &scan);
    let deferred_start = module.is_some() && helpers::defers_start(&scan);
    Prepared {
        scan: Some(scan),
        module,
        deferred_start,
    }
}
