# The portability_strict_posix test (see ci/portability.cmake):
#   cmake -DCLANG=... -DMANIFEST_DIR=... -DSOURCE_DIR=... [-DAPPLE_HOST=ON] -P portability_check.cmake
# Every C file of every target, with that target's include directories and
# definitions; C files under harness/ that no target lists are checked too,
# with the union of all of them, so a file cannot escape by not being built.
cmake_minimum_required(VERSION 3.18)

if(NOT CLANG OR NOT EXISTS "${CLANG}")
  if("$ENV{MPSBENCH_STRICT}" STREQUAL "1")
    message(FATAL_ERROR "missing prerequisite: clang (MPSBENCH_STRICT=1)")
  endif()
  message("SKIPPED: clang not found (Debian: apt-get install clang; ci/setup.sh installs it)")
  return()
endif()

# Strict POSIX 2008, C11, no extensions.  Definitions that widen the headers
# are dropped from the targets' own lists; on macOS _DARWIN_C_SOURCE stays,
# as the real build sets it there (sysconf(_SC_NPROCESSORS_ONLN) and the mach
# calls need it), and the check is about not leaning on glibc.
set(strict -std=c11 -D_POSIX_C_SOURCE=200809L -fsyntax-only
    -Werror=implicit-function-declaration -Werror=implicit-int
    -Wno-unused-command-line-argument)
if(APPLE_HOST)
  list(APPEND strict -D_DARWIN_C_SOURCE)
endif()
set(widening "^(_GNU_SOURCE|_DEFAULT_SOURCE|_BSD_SOURCE|_SVID_SOURCE|_XOPEN_SOURCE|_POSIX_C_SOURCE|_DARWIN_C_SOURCE)(=.*)?$")

file(GLOB manifests "${MANIFEST_DIR}/*.txt")
if(NOT manifests)
  message(FATAL_ERROR "no manifests in ${MANIFEST_DIR}: configure the build again")
endif()

set(all_includes)
set(all_defines)
set(checked)
set(failures 0)
set(count 0)

function(mb_check_file src includes defines)
  # A #define _GNU_SOURCE inside the file would defeat the check, unless it
  # opens a Linux-only path: `#ifdef __linux__` on the line before, the
  # portable path in the #else (or after it), which the macOS run of this
  # check compiles.
  file(STRINGS "${src}" widened REGEX "^[ \t]*#[ \t]*define[ \t]+_(GNU|DEFAULT|BSD|SVID)_SOURCE")
  if(widened)
    file(READ "${src}" text)
    string(REGEX MATCHALL "#[ \t]*define[ \t]+_(GNU|DEFAULT|BSD|SVID)_SOURCE" all "${text}")
    string(REGEX MATCHALL "#[ \t]*ifdef[ \t]+__linux__[ \t]*\n[ \t]*#[ \t]*define[ \t]+_GNU_SOURCE"
           guarded "${text}")
    list(LENGTH all n_all)
    list(LENGTH guarded n_guarded)
    if(n_all EQUAL n_guarded)
      set(widened "")
    endif()
  endif()
  if(widened)
    message("FAIL ${src}: defines a feature-test macro beyond POSIX: ${widened}")
    math(EXPR f "${failures} + 1")
    set(failures ${f} PARENT_SCOPE)
  endif()
  set(args ${strict})
  foreach(i IN LISTS includes)
    list(APPEND args "-I${i}")
  endforeach()
  foreach(d IN LISTS defines)
    if(NOT d MATCHES "${widening}")
      list(APPEND args "-D${d}")
    endif()
  endforeach()
  execute_process(COMMAND "${CLANG}" ${args} "${src}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR n "${count} + 1")
  set(count ${n} PARENT_SCOPE)
  if(NOT rc EQUAL 0)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${src}")
    message("FAIL ${rel}\n${out}")
    math(EXPR f "${failures} + 1")
    set(failures ${f} PARENT_SCOPE)
  endif()
endfunction()

foreach(m IN LISTS manifests)
  file(STRINGS "${m}" lines)
  set(section "")
  set(srcs)
  set(incs)
  set(defs)
  foreach(line IN LISTS lines)
    if(line MATCHES "^\\[(sources|includes|defines)\\]$")
      set(section ${CMAKE_MATCH_1})
    elseif(NOT line STREQUAL "")
      if(section STREQUAL "sources")
        list(APPEND srcs "${line}")
      elseif(section STREQUAL "includes")
        list(APPEND incs "${line}")
      elseif(section STREQUAL "defines")
        list(APPEND defs "${line}")
      endif()
    endif()
  endforeach()
  foreach(src IN LISTS srcs)
    if(EXISTS "${src}")
      mb_check_file("${src}" "${incs}" "${defs}")
      list(APPEND checked "${src}")
    endif()
  endforeach()
  list(APPEND all_includes ${incs})
  list(APPEND all_defines ${defs})
endforeach()
list(REMOVE_DUPLICATES all_includes)
list(REMOVE_DUPLICATES all_defines)

# Headers are included by plain name from their module folder, so a file no
# target lists yet also gets every folder under harness/ that holds one.
file(GLOB_RECURSE every_h "${SOURCE_DIR}/harness/*.h")
foreach(h IN LISTS every_h)
  get_filename_component(d "${h}" DIRECTORY)
  list(APPEND all_includes "${d}")
endforeach()
list(REMOVE_DUPLICATES all_includes)
file(GLOB_RECURSE every_c "${SOURCE_DIR}/harness/*.c")
foreach(src IN LISTS every_c)
  list(FIND checked "${src}" at)
  if(at EQUAL -1)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${src}")
    message("note: ${rel} is in no target; checked with every module's include directories")
    mb_check_file("${src}" "${all_includes}" "${all_defines}")
  endif()
endforeach()

message("portability_strict_posix: ${count} C files, ${failures} failing, clang ${CLANG}")
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} C files do not compile under -std=c11 -D_POSIX_C_SOURCE=200809L")
endif()
