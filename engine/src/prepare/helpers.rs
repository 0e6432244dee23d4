//! The changes made to a scanned module before WAMR loads it (see the
//! module docs of `prepare`): the start function exported instead of run,
//! a function that uses `memory.size`, and no tag exports.

use super::reader::Reader;
use super::scan::{section_rank, Section};
use super::{Scan, KIND_FUNC, START_EXPORT};

/// Whether the module's start function runs as `START_EXPORT`: it has one,
/// and no export of its own already has that name.
pub(super) fn defers_start(scan: &Scan) -> bool {
    let taken = scan
        .exports
        .iter()
        .any(|e| e.name == START_EXPORT.as_bytes());
    scan.layout.start.is_some() && !taken
}

/// What one of the sections involved gets.
struct Change {
    id: u8,
    /// Entries appended to the section (0: the section is replaced by
    /// `entries`, which then include their count).
    added: u32,
    entries: Vec<u8>,
    done: bool,
}

impl Change {
    /// The section's new payload, given its old one (if the module has it).
    fn payload(&self, old: Option<&[u8]>) -> Vec<u8> {
        if self.added == 0 {
            return self.entries.clone();
        }
        let (count, rest) = match old {
            Some(old) => {
                let mut r = Reader::new(old);
                let count = r.u32();
                (u64::from(count), r.rest())
            }
            None => (0, &[][..]),
        };
        let mut out = Vec::with_capacity(rest.len() + self.entries.len() + 5);
        put_leb(&mut out, count + u64::from(self.added));
        out.extend_from_slice(rest);
        out.extend_from_slice(&self.entries);
        out
    }
}

/// `wasm` as WAMR should load it, or None if it needs no change or cannot
/// take one.
pub(super) fn with_helpers(wasm: &[u8], scan: &Scan) -> Option<Vec<u8>> {
    let start = defers_start(scan);
    let anchor = !scan.memories.is_empty();
    if !start && !anchor && scan.layout.tag_exports == 0 {
        return None;
    }
    let layout = &scan.layout;
    if anchor && (layout.types == u32::MAX || layout.functions >= u64::from(u32::MAX)) {
        return None;
    }
    let mut changes = vec![exports(scan, start)];
    if anchor {
        changes.extend(anchor_function(layout.types));
    }
    // Sections the module lacks are added in the format's order.
    changes.sort_by_key(|change| section_rank(change.id));
    let mut out = wasm.get(..8)?.to_vec();
    for section in &layout.sections {
        if let Some(rank) = section_rank(section.id).filter(|&rank| rank > 0) {
            add_missing(&mut out, &mut changes, rank);
        }
        if section.id == 8 && start {
            continue; // the start function runs as START_EXPORT instead
        }
        let payload = payload_of(wasm, section)?;
        match changes.iter_mut().find(|c| c.id == section.id) {
            Some(change) => {
                put_section(&mut out, section.id, &change.payload(Some(payload)));
                change.done = true;
            }
            None => put_section(&mut out, section.id, payload),
        }
    }
    add_missing(&mut out, &mut changes, u32::MAX);
    Some(out)
}

/// Adds the changed sections the module lacks that rank before `rank`
/// (`changes` is in rank order).
fn add_missing(out: &mut Vec<u8>, changes: &mut [Change], rank: u32) {
    for change in changes.iter_mut() {
        if !change.done && section_rank(change.id).is_some_and(|r| r < rank) {
            put_section(out, change.id, &change.payload(None));
            change.done = true;
        }
    }
}

/// The export section rebuilt: without tags, and with the start function
/// as `START_EXPORT` if `start`.
fn exports(scan: &Scan, start: bool) -> Change {
    let mut entries = Vec::new();
    put_leb(&mut entries, scan.exports.len() as u64 + u64::from(start));
    for export in &scan.exports {
        put_name(&mut entries, &export.name);
        entries.push(export.kind);
        put_leb(&mut entries, u64::from(export.index));
    }
    if let (true, Some(index)) = (start, scan.layout.start) {
        put_name(&mut entries, START_EXPORT.as_bytes());
        entries.push(KIND_FUNC);
        put_leb(&mut entries, u64::from(index));
    }
    Change {
        id: 7,
        added: 0,
        entries,
        done: false,
    }
}

/// A function of type [] -> [] (appended as type `types`) whose body is
/// `memory.size 0; drop`.
fn anchor_function(types: u32) -> [Change; 3] {
    let mut function = Vec::new();
    put_leb(&mut function, u64::from(types));
    let append = |id, entries| Change {
        id,
        added: 1,
        entries,
        done: false,
    };
    [
        append(1, vec![0x60, 0x00, 0x00]),
        append(3, function),
        // body size, no locals, memory.size 0, drop, end
        append(10, vec![0x05, 0x00, 0x3f, 0x00, 0x1a, 0x0b]),
    ]
}

fn payload_of<'a>(wasm: &'a [u8], section: &Section) -> Option<&'a [u8]> {
    wasm.get(section.start..section.start.checked_add(section.size)?)
}

fn put_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_name(out: &mut Vec<u8>, name: &[u8]) {
    put_leb(out, name.len() as u64);
    out.extend_from_slice(name);
}

fn put_section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    put_leb(out, payload.len() as u64);
    out.extend_from_slice(payload);
}
