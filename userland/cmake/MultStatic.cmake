# mult_link_executable(<target>)
#
# Applies the MULT_STATIC policy to an executable: with MULT_STATIC=ON the
# program is linked with -static so it runs in the guest initramfs, which has
# no dynamic loader or shared libraries. glibc supports static linking of
# everything the tools use (no NSS lookups, no dlopen).
function(mult_link_executable target)
  if(MULT_STATIC)
    target_link_options(${target} PRIVATE -static)
  endif()
endfunction()

# mult_find_library(<var> <name>...)
#
# find_library() for a library the executables link: with MULT_STATIC=ON
# only archives (.a) are accepted, so a missing static library is a
# configure error rather than a link error. pkg-config's IMPORTED_TARGET
# mode would resolve to the shared objects, which break a -static link.
function(mult_find_library var)
  # A build tree reconfigured from MULT_STATIC=OFF to ON still holds the
  # cached .so path; forget it so the archive is searched for.
  if(MULT_STATIC AND ${var} AND NOT ${var} MATCHES "\\.a$")
    unset(${var} CACHE)
  endif()
  if(MULT_STATIC)
    set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
  endif()
  find_library(${var} NAMES ${ARGN})
endfunction()
