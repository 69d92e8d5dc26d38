# Installs the exported targets, a CMake package config (find_package(kwire))
# and a pkg-config file, so outside projects can use either.
include(CMakePackageConfigHelpers)
# Static or shared: the config file and kwire.pc differ in what they pass on.
if(BUILD_SHARED_LIBS)
  set(KWIRE_SHARED_LIBS ON)
  set(KWIRE_PC_PRIVATE ".private")
  set(KWIRE_PC_LIBS "")
  set(KWIRE_PC_LIBS_PRIVATE "-lsnappy -lsasl2 -lpthread")
else()
  set(KWIRE_SHARED_LIBS OFF)
  set(KWIRE_PC_PRIVATE "")
  set(KWIRE_PC_LIBS "-lsnappy -lsasl2 -lpthread")
  set(KWIRE_PC_LIBS_PRIVATE "")
endif()
install(TARGETS kwire EXPORT kwireTargets)
install(EXPORT kwireTargets NAMESPACE kwire:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kwire)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/kwireConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kwireConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kwire)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kwireConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kwireConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/kwireConfigVersion.cmake
              ${CMAKE_CURRENT_SOURCE_DIR}/cmake/KwireDeps.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kwire)
file(RELATIVE_PATH KWIRE_PC_RELATIVE_PREFIX
     /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)  # e.g. "../.." for lib/pkgconfig
string(REGEX REPLACE "/$" "" KWIRE_PC_RELATIVE_PREFIX "${KWIRE_PC_RELATIVE_PREFIX}")
list(TRANSFORM KWIRE_ASIO_DEFINITIONS PREPEND "-D" OUTPUT_VARIABLE KWIRE_PC_ASIO_CFLAGS)
list(JOIN KWIRE_PC_ASIO_CFLAGS " " KWIRE_PC_ASIO_CFLAGS)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/kwire.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kwire.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kwire.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
