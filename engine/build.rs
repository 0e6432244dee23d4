// Publishes where the engine's C headers were installed, so that CMake can
// find them without guessing Cargo's hashed build directories.
fn main() {
    if let Ok(dir) = std::env::var("DEP_WASMTIME_C_API_INCLUDE") {
        let target = std::env::var("OUT_DIR").unwrap();
        // OUT_DIR is target/<profile>/build/<crate>-<hash>/out; three levels
        // up is target/<profile>.
        let profile_dir = std::path::Path::new(&target).ancestors().nth(3).unwrap().to_path_buf();
        std::fs::write(profile_dir.join("hb_beamr_engine_include.txt"), dir).unwrap();
    }
    println!("cargo:rerun-if-changed=build.rs");
}
