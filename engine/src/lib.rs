//! Re-exports the engine's C API so that Cargo links it into one static
//! library (`libhb_beamr_engine.a`) for CMake. No code of our own lives here.

#[cfg(all(feature = "wasmtime", feature = "wamr"))]
compile_error!("features `wasmtime` and `wamr` are mutually exclusive: pick one engine");
#[cfg(not(any(feature = "wasmtime", feature = "wamr")))]
compile_error!("enable exactly one engine feature: `wasmtime` or `wamr`");

#[cfg(feature = "wasmtime")]
pub use wasmtime_c_api::*;

// WAMR's C API (wasm.h and wasm_export.h) is plain C in libiwasm.a; naming the
// crate is enough for Cargo to archive that library into ours.
#[cfg(feature = "wamr")]
pub use wamrx_sys::*;
