//! Damaged modules through the C entry point: truncations, bit flips and
//! random byte changes of a module that uses every legacy construct. The
//! call must return (never panic); whatever it rewrites must validate.

use std::ffi::{c_char, CStr};

use super::{check_standard, fixtures};
use crate::ffi::{
    hb_beamr_rewrite_free_bytes, hb_beamr_rewrite_free_error, hb_beamr_rewrite_legacy_eh,
    HB_BEAMR_REWRITE_DONE, HB_BEAMR_REWRITE_ERROR, HB_BEAMR_REWRITE_UNCHANGED,
};

/// Calls the C entry point on `input` and checks its contract.
fn run(input: &[u8]) -> i32 {
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_size: usize = 0;
    let mut error: *mut c_char = std::ptr::null_mut();
    // SAFETY: valid input slice and output pointers.
    let rc = unsafe {
        hb_beamr_rewrite_legacy_eh(
            input.as_ptr(),
            input.len(),
            &mut out,
            &mut out_size,
            &mut error,
        )
    };
    match rc {
        HB_BEAMR_REWRITE_UNCHANGED => {
            assert!(out.is_null() && out_size == 0 && error.is_null());
        }
        HB_BEAMR_REWRITE_DONE => {
            assert!(!out.is_null() && error.is_null());
            // SAFETY: `out` holds `out_size` bytes until freed below.
            let bytes = unsafe { std::slice::from_raw_parts(out, out_size) };
            check_standard(bytes);
            // SAFETY: returned by the call above, freed once.
            unsafe { hb_beamr_rewrite_free_bytes(out, out_size) };
        }
        HB_BEAMR_REWRITE_ERROR => {
            assert!(out.is_null() && !error.is_null());
            // SAFETY: a NUL-terminated string owned by us until freed.
            let message = unsafe { CStr::from_ptr(error) }
                .to_string_lossy()
                .into_owned();
            assert!(!message.contains("internal error"), "{message}");
            // SAFETY: returned by the call above, freed once.
            unsafe { hb_beamr_rewrite_free_error(error) };
        }
        other => panic!("unknown result code {other}"),
    }
    rc
}

/// A module that uses every construct, to damage.
fn seed() -> Vec<u8> {
    let fixture = &fixtures::all()[2];
    super::wasm(&fixture.text())
}

#[test]
fn the_seed_is_rewritten() {
    assert_eq!(run(&seed()), HB_BEAMR_REWRITE_DONE);
}

#[test]
fn every_truncation_is_handled() {
    let seed = seed();
    for length in 0..seed.len() {
        run(&seed[..length]);
    }
}

#[test]
fn every_bit_flip_is_handled() {
    let seed = seed();
    let mut damaged = seed.clone();
    for position in 0..seed.len() {
        for bit in 0..8 {
            damaged[position] ^= 1 << bit;
            run(&damaged);
            damaged[position] = seed[position];
        }
    }
}

/// xorshift64*: deterministic, dependency-free randomness.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn random_damage_is_handled() {
    let seed = seed();
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 3];
    for _ in 0..3000 {
        let mut damaged = seed.clone();
        for _ in 0..=random.below(4) {
            let position = random.below(damaged.len());
            match random.below(3) {
                0 => damaged[position] = random.next() as u8,
                1 => {
                    damaged.remove(position);
                }
                _ => damaged.insert(position, random.next() as u8),
            }
        }
        let rc = run(&damaged);
        outcomes[(rc + 1) as usize] += 1;
    }
    // Some damage must survive validation, or the test proves little.
    assert!(outcomes[2] > 0, "{outcomes:?}");
}

#[test]
fn null_and_missing_pointers_are_errors() {
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_size: usize = 0;
    let mut error: *mut c_char = std::ptr::null_mut();
    // SAFETY: null input with size 0 is allowed; outputs are valid.
    let rc = unsafe {
        hb_beamr_rewrite_legacy_eh(std::ptr::null(), 0, &mut out, &mut out_size, &mut error)
    };
    assert_eq!(rc, HB_BEAMR_REWRITE_ERROR);
    assert!(!error.is_null());
    // SAFETY: returned above, freed once.
    unsafe { hb_beamr_rewrite_free_error(error) };
    error = std::ptr::null_mut();
    // SAFETY: a null input with a size is reported, not read.
    let rc = unsafe {
        hb_beamr_rewrite_legacy_eh(std::ptr::null(), 8, &mut out, &mut out_size, &mut error)
    };
    assert_eq!(rc, HB_BEAMR_REWRITE_ERROR);
    // SAFETY: returned above, freed once.
    unsafe { hb_beamr_rewrite_free_error(error) };
    let seed = seed();
    // SAFETY: a missing output pointer makes the call fail without writing.
    let rc = unsafe {
        hb_beamr_rewrite_legacy_eh(
            seed.as_ptr(),
            seed.len(),
            std::ptr::null_mut(),
            &mut out_size,
            &mut error,
        )
    };
    assert_eq!(rc, HB_BEAMR_REWRITE_ERROR);
    // SAFETY: freeing null is a no-op.
    unsafe {
        hb_beamr_rewrite_free_bytes(std::ptr::null_mut(), 0);
        hb_beamr_rewrite_free_error(std::ptr::null_mut());
    }
}
