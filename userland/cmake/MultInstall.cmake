# Install rules for a real machine: the man pages of the tools.
#
# Included from the root CMakeLists.txt after add_subdirectory(userland), so
# the tool targets exist when this runs. `make install` at the top level runs
#
#   cmake --install <build> --prefix PREFIX --component runtime
#   cmake --install <build> --prefix PREFIX --component man
#
# with DESTDIR in the environment. libmult's static library and headers are
# in the `devel` component (userland/libmult/CMakeLists.txt) and are not part
# of `make install`: nothing outside this tree links against them yet.
#
# Layout (GNUInstallDirs, relative to the prefix):
#   bin/instfork, bin/instctl                       component runtime
#   share/man/man1/instfork.1                       component man
#   share/man/man7/mult.7
#   share/man/man8/instctl.8

set(MULT_MAN_DIR "${PROJECT_SOURCE_DIR}/man")

# The tools install themselves, next to their targets
# (userland/instfork/CMakeLists.txt, userland/instctl/CMakeLists.txt:
# install(TARGETS ... COMPONENT runtime)); installing them here as well
# would copy each one twice. This file adds what belongs to no target.

# A page is installed with the tool it documents; mult.7 (the kernel ABI)
# always.
install(FILES "${MULT_MAN_DIR}/instfork.1"
  DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT man)
install(FILES "${MULT_MAN_DIR}/mult.7"
  DESTINATION "${CMAKE_INSTALL_MANDIR}/man7" COMPONENT man)
if(TARGET instctl AND EXISTS "${MULT_MAN_DIR}/instctl.8")
  install(FILES "${MULT_MAN_DIR}/instctl.8"
    DESTINATION "${CMAKE_INSTALL_MANDIR}/man8" COMPONENT man)
endif()
