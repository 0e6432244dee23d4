//! Re-exports the engine's C API so that Cargo links it into one static
//! library (`libhb_beamr_engine.a`) for CMake. No code of our own lives here.

#[cfg(feature = "wasmtime")]
pub use wasmtime_c_api::*;
