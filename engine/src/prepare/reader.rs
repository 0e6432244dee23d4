//! A forgiving reader of the Wasm binary format's primitives, for the scan.
//!
//! It never panics: reading past the end, or a LEB128 number longer than its
//! type allows, puts the reader into a failed state in which every read
//! returns 0 (or an empty name) and `left()` is 0. The caller checks `ok()`
//! once after a run of reads. It accepts a little more than the format does
//! (an unsigned LEB128 may run one byte long and its unused high bits are
//! ignored): the engine validates the module anyway.

/// Reads the bytes of one section payload, or of the whole module.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    ok: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            ok: true,
        }
    }

    /// False once any read has failed.
    pub(super) fn ok(&self) -> bool {
        self.ok
    }

    /// Whether everything has been read.
    pub(super) fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes not read yet.
    pub(super) fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Offset of the next byte to read.
    pub(super) fn offset(&self) -> usize {
        self.pos
    }

    /// The next byte, without reading it.
    pub(super) fn peek(&self) -> Option<u8> {
        if self.ok {
            self.data.get(self.pos).copied()
        } else {
            None
        }
    }

    pub(super) fn byte(&mut self) -> u8 {
        match self.peek() {
            Some(b) => {
                self.pos += 1;
                b
            }
            None => self.fail(),
        }
    }

    /// An unsigned LEB128 number of at most `max_bits` bits, given at most
    /// one byte more than those bits need; bits past 64 are dropped.
    pub(super) fn leb(&mut self, max_bits: u32) -> u64 {
        let mut value = 0u64;
        let mut shift = 0u32;
        while shift < max_bits + 7 {
            let b = self.byte();
            if !self.ok {
                return 0;
            }
            value |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
        u64::from(self.fail())
    }

    /// A `u32` as the format writes it (truncated if it runs long).
    pub(super) fn u32(&mut self) -> u32 {
        self.leb(32) as u32
    }

    /// Skips `n` bytes, failing if there are fewer.
    pub(super) fn skip(&mut self, n: usize) {
        if !self.ok || n > self.left() {
            self.fail();
        } else {
            self.pos += n;
        }
    }

    /// `n` bytes, or None (and failure) if there are fewer.
    pub(super) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let start = self.pos;
        self.skip(n);
        if self.ok {
            self.data.get(start..start + n)
        } else {
            None
        }
    }

    /// A name: its length, then that many bytes (not checked to be UTF-8).
    pub(super) fn name(&mut self) -> Vec<u8> {
        let n = self.u32() as usize;
        self.bytes(n).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// The bytes not read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Puts the reader into its failed state; returns 0 for the read that
    /// failed.
    pub(super) fn fail(&mut self) -> u8 {
        self.ok = false;
        self.pos = self.data.len();
        0
    }
}
