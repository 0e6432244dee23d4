//! The scan: the sections of a module and what hb_beamr needs from its
//! import, function, table, memory, export and start sections.

use super::reader::Reader;
use super::{Export, Limits, Scan, KIND_FUNC, KIND_GLOBAL, KIND_MEMORY, KIND_TABLE, KIND_TAG};

/// The binary's magic number and version 1.
const HEADER: [u8; 8] = [0x00, b'a', b's', b'm', 0x01, 0x00, 0x00, 0x00];

/// One section of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Section {
    pub id: u8,
    /// Offset of the payload in the module.
    pub start: usize,
    pub size: usize,
}

/// What the helpers need to rewrite the module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    pub sections: Vec<Section>,
    /// Tag exports, left out of `Scan::exports`.
    pub tag_exports: u32,
    /// Entries of the type section.
    pub types: u32,
    /// Functions, imported and defined.
    pub functions: u64,
    /// The start function's index, if there is one.
    pub start: Option<u32>,
}

/// The place of section `id` in the order the binary format requires
/// (0: a custom section, which may go anywhere), or None if unknown.
pub(crate) fn section_rank(id: u8) -> Option<u32> {
    const RANK: [u32; 14] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6];
    RANK.get(usize::from(id)).copied()
}

/// Scans `wasm`, or None if its structure is not understood: a bad header, a
/// section that is truncated, unknown, repeated or out of order, an import
/// of a kind newer than tags, limits with unknown flags, or an import,
/// table, memory or export section with bytes after its last entry.
pub(super) fn scan(wasm: &[u8]) -> Option<Scan> {
    if wasm.get(..HEADER.len()) != Some(&HEADER[..]) {
        return None;
    }
    let mut scan = Scan {
        limits_known: true,
        ..Scan::default()
    };
    let mut file = Reader::new(wasm.get(HEADER.len()..)?);
    let mut last_rank = 0;
    while file.ok() && !file.done() {
        let id = file.byte();
        let size = file.u32() as usize;
        let start = HEADER.len() + file.offset();
        let payload = file.bytes(size)?;
        // Unknown, repeated or out of order: leave it to WAMR.
        let rank = section_rank(id)?;
        if rank > 0 && rank <= last_rank {
            return None;
        }
        last_rank = last_rank.max(rank);
        scan.layout.sections.push(Section { id, start, size });
        let mut r = Reader::new(payload);
        read_section(&mut scan, id, &mut r)?;
        // The sections read entry by entry must end with their last entry
        // (a table section stops early at an initializer it cannot skip).
        let whole = matches!(id, 2 | 5 | 7) || (id == 4 && scan.limits_known);
        if !r.ok() || (whole && !r.done()) {
            return None;
        }
    }
    file.ok().then_some(scan)
}

/// Reads the parts of section `id` the scan needs; None for an import the
/// scan does not know.
fn read_section(scan: &mut Scan, id: u8, r: &mut Reader) -> Option<()> {
    match id {
        1 => scan.layout.types = r.u32(),
        2 => read_imports(scan, r)?,
        3 => scan.layout.functions += u64::from(r.u32()),
        4 => read_tables(scan, r),
        5 => {
            let n = r.u32();
            for _ in 0..n {
                if !r.ok() {
                    break;
                }
                scan.memories.push(read_limits(r, MEMORY_FLAGS));
            }
        }
        7 => read_exports(scan, r),
        8 => scan.layout.start = Some(r.u32()),
        _ => {}
    }
    Some(())
}

fn read_imports(scan: &mut Scan, r: &mut Reader) -> Option<()> {
    let n = r.u32();
    for _ in 0..n {
        if !r.ok() {
            break;
        }
        r.name();
        r.name();
        match r.byte() {
            KIND_FUNC => {
                r.u32();
                scan.layout.functions += 1;
                scan.import_kinds.push(KIND_FUNC);
            }
            KIND_TABLE => {
                scan.tables.push(read_table_type(r));
                scan.import_kinds.push(KIND_TABLE);
            }
            KIND_MEMORY => {
                scan.memories.push(read_limits(r, MEMORY_FLAGS));
                scan.import_kinds.push(KIND_MEMORY);
            }
            KIND_GLOBAL => {
                skip_valtype(r);
                r.byte();
                scan.import_kinds.push(KIND_GLOBAL);
            }
            KIND_TAG => {
                // WAMR's wasm.h does not list tag imports.
                r.byte();
                r.u32();
            }
            _ => return None, // future kinds: WAMR refuses them
        }
    }
    Some(())
}

fn read_tables(scan: &mut Scan, r: &mut Reader) {
    let n = r.u32();
    for _ in 0..n {
        if !r.ok() {
            break;
        }
        // 0x40 0x00: a table type followed by an initializer expression.
        let with_init = r.peek() == Some(TABLE_WITH_INIT);
        if with_init {
            r.byte();
            if r.byte() != 0x00 {
                r.fail();
            }
        }
        scan.tables.push(read_table_type(r));
        if with_init && !skip_const_expr(r) {
            // An instruction the scan does not know: the rest of the section
            // cannot be found.
            scan.limits_known = false;
            return;
        }
    }
}

fn read_exports(scan: &mut Scan, r: &mut Reader) {
    let n = r.u32();
    for _ in 0..n {
        if !r.ok() {
            break;
        }
        let name = r.name();
        let kind = r.byte();
        let index = r.u32();
        if kind == KIND_TAG {
            scan.layout.tag_exports += 1;
            continue;
        }
        scan.exports.push(Export { name, kind, index });
    }
}

/// A table type: its element type, then its limits.
fn read_table_type(r: &mut Reader) -> Limits {
    skip_valtype(r);
    read_limits(r, TABLE_FLAGS)
}

/// Flags of a table's limits: 1 a maximum, 2 shared, 4 64-bit.
const TABLE_FLAGS: u32 = 0x07;
/// Flags of a memory's limits: a table's, and 8 a custom page size.
const MEMORY_FLAGS: u32 = 0x0f;

/// Limits whose flags may only use the bits of `known`; any other flag is an
/// encoding the scan does not know, and fails the reader.
fn read_limits(r: &mut Reader, known: u32) -> Limits {
    let flags = r.u32();
    if flags & !known != 0 {
        r.fail();
    }
    let has_max = flags & 0x01 != 0;
    let is64 = flags & 0x04 != 0;
    let bits = if is64 { 64 } else { 32 };
    let min = r.leb(bits);
    let max = if has_max { r.leb(bits) } else { 0 };
    if flags & 0x08 != 0 {
        r.u32(); // a custom page size: log2 of it
    }
    Limits {
        min,
        max,
        has_max,
        is64,
    }
}

/// The prefix of a table with an initializer expression.
const TABLE_WITH_INIT: u8 = 0x40;
/// `(ref null ht)`, `(ref ht)` and `(shared absheaptype)`.
const REF_NULL: u8 = 0x63;
const REF: u8 = 0x64;
const SHARED: u8 = 0x65;

/// A reference or value type; reference types with a heap type take two
/// parts.
fn skip_valtype(r: &mut Reader) {
    let b = r.byte();
    if b == REF_NULL || b == REF {
        skip_heap_type(r);
    }
}

/// An abstract heap type (a negative number, maybe shared) or a type index.
fn skip_heap_type(r: &mut Reader) {
    if r.peek() == Some(SHARED) {
        r.skip(2);
    } else {
        r.leb(33); // signed, but only its length matters here
    }
}

/// Skips a constant expression up to and including its `end`; false (the
/// reader left where it stopped) at an instruction that cannot be in one.
fn skip_const_expr(r: &mut Reader) -> bool {
    while r.ok() {
        match r.byte() {
            0x0b => return true,            // end
            0x41 => skip_leb(r, 32),        // i32.const
            0x42 => skip_leb(r, 64),        // i64.const
            0x43 => r.skip(4),              // f32.const
            0x44 => r.skip(8),              // f64.const
            0x23 | 0xd2 => skip_leb(r, 32), // global.get, ref.func
            0xd0 => skip_heap_type(r),      // ref.null
            0x6a..=0x6c | 0x7c..=0x7e => {} // i32/i64 add, sub, mul
            0xfd => {
                // v128.const
                if r.u32() != 12 {
                    return false;
                }
                r.skip(16);
            }
            0xfb => match r.u32() {
                // struct.new(_default), array.new(_default)
                0x00 | 0x01 | 0x06 | 0x07 => skip_leb(r, 32),
                0x08 => {
                    // array.new_fixed
                    r.u32();
                    r.u32();
                }
                0x1a..=0x1c => {} // any/extern.convert, ref.i31
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}

/// A LEB128 number (signed or not) of at most `bits` bits, read to be
/// skipped.
fn skip_leb(r: &mut Reader, bits: u32) {
    r.leb(bits);
}
