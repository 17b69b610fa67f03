# Finds libsmartcols, util-linux's table library (Debian: libsmartcols-dev),
# and defines the imported target LibSmartcols::smartcols. instctl prints
# its tables with it.
#
# With MULT_STATIC=ON only the archive is accepted (mult_find_library,
# MultStatic.cmake). Debian ships no libsmartcols.a: scripts/build-userland.sh
# builds one from Debian's util-linux source for the static guest build and
# passes its prefix in CMAKE_PREFIX_PATH (scripts/build-smartcols-static.sh).

find_path(LibSmartcols_INCLUDE_DIR libsmartcols/libsmartcols.h)
mult_find_library(LibSmartcols_LIBRARY smartcols)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibSmartcols
  REQUIRED_VARS LibSmartcols_LIBRARY LibSmartcols_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install libsmartcols-dev (scripts/deps.sh build), or with MULT_STATIC=ON run scripts/build-smartcols-static.sh and pass its prefix in CMAKE_PREFIX_PATH")

if(LibSmartcols_FOUND AND NOT TARGET LibSmartcols::smartcols)
  add_library(LibSmartcols::smartcols UNKNOWN IMPORTED)
  set_target_properties(LibSmartcols::smartcols PROPERTIES
    IMPORTED_LOCATION "${LibSmartcols_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LibSmartcols_INCLUDE_DIR}")
endif()

mark_as_advanced(LibSmartcols_INCLUDE_DIR LibSmartcols_LIBRARY)
