# Finds libnl-3 and libnl-genl-3 and defines the imported target LibNL::genl.
#
# With MULT_STATIC=ON only the archives are accepted (mult_find_library,
# MultStatic.cmake).

find_path(LibNLGenl_INCLUDE_DIR netlink/genl/genl.h PATH_SUFFIXES libnl3)

mult_find_library(LibNLGenl_NL_LIBRARY nl-3)
mult_find_library(LibNLGenl_GENL_LIBRARY nl-genl-3)

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
