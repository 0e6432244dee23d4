# The emscripten runtime provider (hb_beamr/emscripten.hpp), part of
# hb_beamr_lib.
target_sources(hb_beamr_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/emscripten.cpp
  ${CMAKE_CURRENT_LIST_DIR}/function_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/functions_runtime.cpp
  ${CMAKE_CURRENT_LIST_DIR}/functions_time.cpp
  ${CMAKE_CURRENT_LIST_DIR}/invoke.cpp
  ${CMAKE_CURRENT_LIST_DIR}/syscalls.cpp)
