# kwire_module(<name> DEPS <public deps...> PRIVATE_DEPS <...>)
# One static library per layer: sources are every .cpp under <name>/src,
# public headers under <name>/include/kwire/<name>/. New files are picked up
# by re-running CMake (CONFIGURE_DEPENDS), so adding a codec touches no list.
function(kwire_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor)
  if(KWIRE_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(kwire_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(kwire_${name} STATIC ${sources})
  add_library(kwire::${name} ALIAS kwire_${name})
  set_target_properties(kwire_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME kwire_${name}
                        POSITION_INDEPENDENT_CODE ON)
  target_include_directories(kwire_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(kwire_${name} PUBLIC cxx_std_20)
  target_link_libraries(kwire_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  kwire_warnings(kwire_${name})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS kwire_${name} EXPORT kwireTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

if(KWIRE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
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
