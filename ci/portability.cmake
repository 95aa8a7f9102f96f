# Checks that need no build of their own, registered as CTest tests from the
# top-level CMakeLists.txt (`include(ci/portability.cmake)`, its last line).
#
# portability_strict_posix (label portability): every C source of every
# project target, compiled by clang with `-std=c11 -D_POSIX_C_SOURCE=200809L`
# and no _GNU_SOURCE, syntax only, failing on implicit function declarations
# and implicit int.  glibc exposes GNU extensions to the GCC build only
# through its defaults; this is the closest Linux gets to macOS's headers,
# which hide what POSIX 2008 does not declare.  Each file gets its target's
# own include directories and definitions, as in the real build.
#
# ci_workflows_yamllint, ci_workflows_actionlint (label ci): the GitHub
# Actions workflow files in ci/github/, through ci/lint-workflows.sh.
# ci_workflows_lint_rejects (label ci): that lint fails on copies of a
# workflow with a retired runner label or an action not pinned to a commit
# (ci/test-lint-workflows.sh).
#
# All three skip visibly, with the reason, when their tool is missing.
#
# include_graph (label ci): harness/'s includes follow docs/DESIGN.md's
# folder table, no arrow back up the flow and no two modules calling each
# other (ci/include_graph.py); include_graph_rules: that check's own tests
# on synthetic trees (ci/test_include_graph.py).  Python 3 only.
#
# long_functions, long_files (label ci): no function over 100 lines and no
# source file over 800 (test files 1200) outside test files
# (ci/long-functions.sh, ci/long-files.sh; DESIGN.md section 8).
if(NOT BUILD_TESTING)
  return()
endif()

# Every target defined under harness/, found through the directory tree so
# that a new module is checked without touching this file.
function(mb_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    mb_collect_targets(${sub} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()
mb_collect_targets(${PROJECT_SOURCE_DIR} mb_all_targets)

# One manifest per target: its C sources, then its include directories and
# compile definitions as the build evaluates them (generator expressions
# included), one per line.  ci/portability_check.cmake reads them at test time.
set(mb_manifest_dir ${PROJECT_BINARY_DIR}/portability)
set(mb_manifests)
foreach(tgt IN LISTS mb_all_targets)
  get_target_property(type ${tgt} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY")
    continue()
  endif()
  get_target_property(srcs ${tgt} SOURCES)
  get_target_property(srcdir ${tgt} SOURCE_DIR)
  set(csrcs)
  foreach(s IN LISTS srcs)
    if(s MATCHES "\\.c$")
      if(NOT IS_ABSOLUTE "${s}")
        set(s "${srcdir}/${s}")
      endif()
      list(APPEND csrcs "${s}")
    endif()
  endforeach()
  if(NOT csrcs)
    continue()
  endif()
  list(JOIN csrcs "\n" src_lines)
  set(manifest ${mb_manifest_dir}/${tgt}.txt)
  file(GENERATE OUTPUT ${manifest} CONTENT
"[sources]
${src_lines}
[includes]
$<JOIN:$<TARGET_PROPERTY:${tgt},INCLUDE_DIRECTORIES>,\n>
[defines]
$<JOIN:$<TARGET_PROPERTY:${tgt},COMPILE_DEFINITIONS>,\n>
")
  list(APPEND mb_manifests ${manifest})
endforeach()

find_program(MB_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14
             DOC "clang for the strict-POSIX portability check")
add_test(NAME portability_strict_posix
  COMMAND ${CMAKE_COMMAND}
    -DCLANG=${MB_CLANG}
    -DMANIFEST_DIR=${mb_manifest_dir}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DAPPLE_HOST=${APPLE}
    -P ${CMAKE_CURRENT_LIST_DIR}/portability_check.cmake)
# `cmake -P` cannot exit 77 before CMake 3.29, so the script says SKIPPED.
set_tests_properties(portability_strict_posix PROPERTIES
  LABELS portability SKIP_RETURN_CODE 77 SKIP_REGULAR_EXPRESSION "SKIPPED: " TIMEOUT 300)

foreach(check yamllint actionlint)
  add_test(NAME ci_workflows_${check}
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/lint-workflows.sh ${check})
  set_tests_properties(ci_workflows_${check} PROPERTIES
    LABELS ci SKIP_RETURN_CODE 77 TIMEOUT 300
    ENVIRONMENT "BUILD_DIR=${PROJECT_BINARY_DIR}")
endforeach()
add_test(NAME ci_workflows_lint_rejects COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-lint-workflows.sh)
set_tests_properties(ci_workflows_lint_rejects PROPERTIES
  LABELS ci TIMEOUT 300 ENVIRONMENT "BUILD_DIR=${PROJECT_BINARY_DIR}")

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME include_graph
    COMMAND ${Python3_EXECUTABLE} -B ${CMAKE_CURRENT_LIST_DIR}/include_graph.py ${PROJECT_SOURCE_DIR})
  add_test(NAME include_graph_rules
    COMMAND ${Python3_EXECUTABLE} -B -m unittest -v test_include_graph
    WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(include_graph include_graph_rules PROPERTIES LABELS ci TIMEOUT 60)
endif()

add_test(NAME long_functions COMMAND ${CMAKE_CURRENT_LIST_DIR}/long-functions.sh)
add_test(NAME long_files COMMAND ${CMAKE_CURRENT_LIST_DIR}/long-files.sh)
set_tests_properties(long_functions long_files PROPERTIES LABELS ci TIMEOUT 120)
