# Finds libcap (Debian: libcap-dev) and defines the imported target LibCap::cap.
#
# instfork reads capability names with it. With MULT_STATIC=ON only the
# archive is accepted (mult_find_library, MultStatic.cmake): the guest's
# instfork is static.

find_path(LibCap_INCLUDE_DIR sys/capability.h)
mult_find_library(LibCap_LIBRARY cap)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibCap REQUIRED_VARS LibCap_LIBRARY LibCap_INCLUDE_DIR)

if(LibCap_FOUND AND NOT TARGET LibCap::cap)
  add_library(LibCap::cap UNKNOWN IMPORTED)
  set_target_properties(LibCap::cap PROPERTIES
    IMPORTED_LOCATION "${LibCap_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibCap_INCLUDE_DIR}")
endif()

mark_as_advanced(LibCap_INCLUDE_DIR LibCap_LIBRARY)
