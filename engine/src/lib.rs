//! The engine behind hb_beamr as one static library (`libhb_beamr_engine.a`)
//! for CMake: the engine's C API, plus our own module scan and rewriters,
//! exported to C by `ffi`: `prepare` scans module binaries for both engines
//! (`prepare::scan_module`) and adjusts modules for WAMR, and `rewrite` lets
//! Wasmtime load modules that use the legacy exception-handling
//! instructions. Both are built for both engines, so that their tests run
//! without compiling Wasmtime.

#[cfg(all(feature = "wasmtime", feature = "wamr"))]
compile_error!("features `wasmtime` and `wamr` are mutually exclusive: pick one engine");
#[cfg(not(any(feature = "wasmtime", feature = "wamr")))]
compile_error!("enable exactly one engine feature: `wasmtime` or `wamr`");

pub mod ffi;
pub mod prepare;
pub mod rewrite;

#[cfg(feature = "wasmtime")]
pub use wasmtime_c_api::*;

// WAMR itself is built by CMake (engine/CMakeLists.txt) from the sources that
// wamrx-sys ships; with the `wamr` feature this crate carries only the
// rewriters, so there is nothing of WAMR's to re-export here.
