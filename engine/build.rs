// Publishes where the engine's C headers were installed, so that CMake can
// find them without guessing Cargo's hashed build directories. One file per
// engine (hb_beamr_engine_include_<engine>.txt in target/<profile>), so two
// engines never overwrite each other's answer.
//
// Wasmtime's build script announces its include directory (links = "wasmtime-
// c-api", metadata `include`). wamrx-sys announces nothing: for WAMR, CMake
// finds the headers inside the wamrx-sys sources with `cargo metadata`.
fn main() {
    if let Ok(dir) = std::env::var("DEP_WASMTIME_C_API_INCLUDE") {
        let target = std::env::var("OUT_DIR").unwrap();
        // OUT_DIR is target/<profile>/build/<crate>-<hash>/out; three levels
        // up is target/<profile>.
        let profile_dir = std::path::Path::new(&target)
            .ancestors()
            .nth(3)
            .unwrap()
            .to_path_buf();
        std::fs::write(
            profile_dir.join("hb_beamr_engine_include_wasmtime.txt"),
            dir,
        )
        .unwrap();
    }
    println!("cargo:rerun-if-changed=build.rs");
}
