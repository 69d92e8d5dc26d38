# Imported targets for dependencies found with find_library (no CMake
# package of their own). Included by the build and by the installed
# kwireConfig.cmake, so exported targets refer to these names instead of
# absolute library paths. Expects SNAPPY_LIBRARY and SASL2_LIBRARY.
if(NOT TARGET KwireDeps::snappy)
  add_library(KwireDeps::snappy INTERFACE IMPORTED)
  set_target_properties(KwireDeps::snappy PROPERTIES INTERFACE_LINK_LIBRARIES "${SNAPPY_LIBRARY}")
endif()
if(NOT TARGET KwireDeps::sasl2)
  add_library(KwireDeps::sasl2 INTERFACE IMPORTED)
  set_target_properties(KwireDeps::sasl2 PROPERTIES INTERFACE_LINK_LIBRARIES "${SASL2_LIBRARY}")
endif()
