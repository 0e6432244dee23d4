# Fails when the checked-in Erlang header differs from what the driver's
# constants print (see c_src/wire.hpp for how to regenerate it).
execute_process(COMMAND "${PRINTER}" OUTPUT_VARIABLE printed
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PRINTER} failed (${rc})")
endif()
file(READ "${EXPECTED}" expected)
if(NOT printed STREQUAL expected)
  message(FATAL_ERROR
    "${EXPECTED} does not match c_src/wire.hpp. Regenerate it with\n"
    "  ${PRINTER} > ${EXPECTED}\n"
    "Printed:\n${printed}")
endif()
