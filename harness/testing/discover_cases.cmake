# Run after a test binary is built: asks it for its cmocka cases (--list)
# and writes one CTest test per case, "BINARY/CASE", run as BINARY --run CASE.
# Inputs (-D): TEST_BINARY, TEST_NAME, OUT_FILE, LABELS (;-list), TIMEOUT.
execute_process(COMMAND "${TEST_BINARY}" --list
  OUTPUT_VARIABLE cases RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --list failed (${rc}): ${err}")
endif()
string(REPLACE "\n" ";" cases "${cases}")
set(script "# Generated from ${TEST_BINARY} --list; do not edit.\n")
foreach(case IN LISTS cases)
  if(case STREQUAL "")
    continue()
  endif()
  string(APPEND script
    "add_test([=[${TEST_NAME}/${case}]=] [=[${TEST_BINARY}]=] --run [=[${case}]=])\n"
    "set_tests_properties([=[${TEST_NAME}/${case}]=] PROPERTIES SKIP_RETURN_CODE 77"
    " TIMEOUT ${TIMEOUT} LABELS [=[${LABELS};${TEST_NAME}]=])\n")
endforeach()
file(WRITE "${OUT_FILE}" "${script}")
