# Install rules for a real machine: the man pages of the tools.
#
# Included from the root CMakeLists.txt after add_subdirectory(userland), so
# the tool targets exist when this runs. `make install` at the top level runs
#
#   cmake --install <build> --prefix PREFIX --component runtime
#   cmake --install <build> --prefix PREFIX --component man
#   cmake --install <build> --prefix PREFIX --component completion
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
#   share/bash-completion/completions/{instfork,instctl}   component completion
#   share/zsh/site-functions/{_instfork,_instctl}

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

# Shell completion (component completion), where bash-completion and zsh
# look: bash-completion loads completions/<command> on demand from every
# XDG data directory (/usr/share, /usr/local/share); zsh's fpath has
# /usr/local/share/zsh/site-functions, and Debian packages use
# /usr/share/zsh/vendor-completions (debian/rules sets that).
set(MULT_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
  CACHE STRING "Where the bash completions go, relative to the prefix")
set(MULT_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/site-functions"
  CACHE STRING "Where the zsh completions go, relative to the prefix")
set(MULT_COMPLETION_DIR "${PROJECT_SOURCE_DIR}/userland/completion")
install(FILES "${MULT_COMPLETION_DIR}/instfork.bash" RENAME instfork
  DESTINATION "${MULT_BASH_COMPLETION_DIR}" COMPONENT completion)
install(FILES "${MULT_COMPLETION_DIR}/_instfork"
  DESTINATION "${MULT_ZSH_COMPLETION_DIR}" COMPONENT completion)
if(TARGET instctl)
  install(FILES "${MULT_COMPLETION_DIR}/instctl.bash" RENAME instctl
    DESTINATION "${MULT_BASH_COMPLETION_DIR}" COMPONENT completion)
  install(FILES "${MULT_COMPLETION_DIR}/_instctl"
    DESTINATION "${MULT_ZSH_COMPLETION_DIR}" COMPONENT completion)
endif()
