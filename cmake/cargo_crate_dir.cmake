# hb_beamr_cargo_crate_dir(<out-var> MANIFEST <Cargo.toml> CRATE <name>
#                          [ARGS <extra cargo metadata arguments>...])
#
# Sets <out-var> to the source directory of crate <name> as the pinned
# Cargo.lock resolves it for <Cargo.toml>. `cargo metadata` downloads and
# unpacks the crate into Cargo's registry if this machine has never seen it,
# so C sources that a registry crate ships (WAMR, Lua) are found without
# guessing Cargo's hashed paths and without fetching anything else.
function(hb_beamr_cargo_crate_dir out_var)
  cmake_parse_arguments(PARSE_ARGV 1 _arg "" "MANIFEST;CRATE" "ARGS")
  find_program(CARGO cargo HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)
  execute_process(
    COMMAND ${CARGO} metadata --format-version 1 --locked
            --manifest-path ${_arg_MANIFEST} ${_arg_ARGS}
    OUTPUT_VARIABLE _metadata RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cargo metadata for ${_arg_MANIFEST} failed (${_rc})")
  endif()
  string(JSON _count LENGTH "${_metadata}" packages)
  math(EXPR _last "${_count} - 1")
  foreach(_i RANGE ${_last})
    string(JSON _name GET "${_metadata}" packages ${_i} name)
    if(_name STREQUAL _arg_CRATE)
      string(JSON _manifest GET "${_metadata}" packages ${_i} manifest_path)
      get_filename_component(_dir "${_manifest}" DIRECTORY)
      set(${out_var} "${_dir}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "${_arg_CRATE} not found in cargo metadata of ${_arg_MANIFEST}")
endfunction()
