# One library per layer: sources are every .cpp under <name>/src,
# public headers under <name>/include/kwire/<name>/. New files are picked up
# by re-running CMake (CONFIGURE_DEPENDS), so adding a codec touches no list.
function(kwire_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor)
  if(KWIRE_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# kwire_module(<name> DEPS <public deps...> PRIVATE_DEPS <...> INTERNAL_HEADERS <file names...>)
# INTERNAL_HEADERS stay in the source tree for the library's own sources and
# unit tests but are not installed (nor is any detail/ folder): what is
# installed is the public API, and each installed header compiles on its own
# (tests/install/check-install).
#
# Static by default; BUILD_SHARED_LIBS=ON builds shared libraries with the
# soname libkwire_<name>.so.<major>.<minor> (0.x releases may change the ABI
# at every minor, as kwireConfigVersion.cmake's SameMinorVersion says) and
# hidden visibility: only the public headers' declarations are exported
# (include/kwire/export.hpp).
function(kwire_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS;INTERNAL_HEADERS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(kwire_${name} ${sources})
  add_library(kwire::${name} ALIAS kwire_${name})
  set_target_properties(kwire_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME kwire_${name}
                        POSITION_INDEPENDENT_CODE ON
                        VERSION ${PROJECT_VERSION}
                        SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  if(BUILD_SHARED_LIBS)
    set_target_properties(kwire_${name} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  endif()
  target_include_directories(kwire_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(kwire_${name} PUBLIC cxx_std_20)
  target_link_libraries(kwire_${name} PUBLIC kwire_export ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  kwire_warnings(kwire_${name})
  set(excluded PATTERN detail EXCLUDE)
  foreach(header IN LISTS ARG_INTERNAL_HEADERS)
    list(APPEND excluded PATTERN ${header} EXCLUDE)
  endforeach()
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${excluded})
  install(TARGETS kwire_${name} EXPORT kwireTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# A CI run once died of "No space left on device" while building: the ASan
# build of the integration tests alone was ~290 MB. -gz stores the DWARF
# sections zlib-compressed (a fifth of their size); gdb, addr2line and the
# sanitizers' symbolizer read them unchanged.
if(KWIRE_COMPRESS_DEBUG_INFO AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  add_compile_options(-gz)
  add_link_options(-gz)
endif()

if(KWIRE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  # The sanitizers' per-check data (source locations, type descriptors) is
  # full of pointers; in a position-independent executable each needs a
  # dynamic relocation (65 MB of .rela.dyn in the CLI alone). Sanitized
  # executables are never installed: link them at a fixed address.
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()

# libFuzzer (the `fuzz` preset): every library is built with libFuzzer's
# coverage instrumentation but without its main(); only the targets under
# fuzz/ link -fsanitize=fuzzer (fuzz/CMakeLists.txt), so the libraries stay
# usable by ordinary executables (the seed capture tool) in the same build.
if(KWIRE_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "KWIRE_BUILD_FUZZ needs clang (libFuzzer): use `cmake --preset fuzz`")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
