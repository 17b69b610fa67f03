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
