# Finds libnl-3 and libnl-genl-3 and defines the imported target LibNL::genl.
#
# pkg-config's IMPORTED_TARGET mode resolves libraries to absolute paths of the
# shared objects, which breaks a -static link. We therefore look the archives
# up ourselves: with MULT_STATIC=ON only the .a files are accepted, so a
# missing static library is a configure error rather than a link error.

find_path(LibNLGenl_INCLUDE_DIR netlink/genl/genl.h PATH_SUFFIXES libnl3)

# A build tree reconfigured from MULT_STATIC=OFF to ON still holds the cached
# .so paths; forget them so the archives are searched for.
foreach(_var LibNLGenl_NL_LIBRARY LibNLGenl_GENL_LIBRARY)
  if(MULT_STATIC AND ${_var} AND NOT ${_var} MATCHES "\\.a$")
    unset(${_var} CACHE)
  endif()
endforeach()

if(MULT_STATIC)
  set(_mult_saved_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
endif()
find_library(LibNLGenl_NL_LIBRARY NAMES nl-3)
find_library(LibNLGenl_GENL_LIBRARY NAMES nl-genl-3)
if(MULT_STATIC)
  set(CMAKE_FIND_LIBRARY_SUFFIXES ${_mult_saved_suffixes})
  unset(_mult_saved_suffixes)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibNLGenl
  REQUIRED_VARS LibNLGenl_GENL_LIBRARY LibNLGenl_NL_LIBRARY LibNLGenl_INCLUDE_DIR)

if(LibNLGenl_FOUND AND NOT TARGET LibNL::genl)
  find_package(Threads REQUIRED)
  add_library(LibNL::nl UNKNOWN IMPORTED)
  set_target_properties(LibNL::nl PROPERTIES
    IMPORTED_LOCATION "${LibNLGenl_NL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibNLGenl_INCLUDE_DIR}"
    # libnl-3 uses pthread and libm (its static archive does not record that).
    INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
  add_library(LibNL::genl UNKNOWN IMPORTED)
  set_target_properties(LibNL::genl PROPERTIES
    IMPORTED_LOCATION "${LibNLGenl_GENL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibNLGenl_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES LibNL::nl)
endif()

mark_as_advanced(LibNLGenl_INCLUDE_DIR LibNLGenl_NL_LIBRARY LibNLGenl_GENL_LIBRARY)
