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
/// section that is truncated, unknown, repeated or out of order, or an
/// import of a kind newer than tags.
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
        if !r.ok() {
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
                scan.memories.push(read_limits(r));
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
                skip_valtype(r);
                scan.tables.push(read_limits(r));
                scan.import_kinds.push(KIND_TABLE);
            }
            KIND_MEMORY => {
                scan.memories.push(read_limits(r));
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
        if r.peek() == Some(0x40) {
            scan.limits_known = false; // a table with an initializer expression
            break;
        }
        skip_valtype(r);
        scan.tables.push(read_limits(r));
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

fn read_limits(r: &mut Reader) -> Limits {
    let flags = r.u32();
    let has_max = flags & 0x01 != 0;
    let is64 = flags & 0x04 != 0;
    let min = r.leb(64);
    let max = if has_max { r.leb(64) } else { 0 };
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

/// A reference or value type; reference types with a heap type take two
/// parts.
fn skip_valtype(r: &mut Reader) {
    let b = r.byte();
    if b == 0x63 || b == 0x64 {
        r.leb(33);
    }
}
