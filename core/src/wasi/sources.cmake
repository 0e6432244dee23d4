# The WASI preview 1 provider (hb_beamr/wasi.hpp), part of hb_beamr_lib.
target_sources(hb_beamr_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/function_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/functions_clock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/functions_fd.cpp
  ${CMAKE_CURRENT_LIST_DIR}/functions_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/guest_memory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_stream.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wasi.cpp)
