#!/usr/bin/env bash
# `make kernel-deb`: the patched kernel as Debian packages (linux-image,
# linux-headers, linux-libc-dev), built by the kernel's own `bindeb-pkg`
# from a distribution configuration: Debian's for its 6.12 kernel
# (linux-config-6.12, amd64), with CONFIG_MULT=y on top. The headers
# package carries include/linux/mult.h, so mult-dkms builds against it.
#
# A full distribution kernel: about an hour on two cores, several GB in
# BUILD_DIR/kernel-deb. The packages land in BUILD_DIR/.
# Usage: kernel-deb.sh BUILD_DIR [CONFIG]   (CONFIG: a .config or .xz to
# start from instead of Debian's)
set -euo pipefail
build=${1:?usage: kernel-deb.sh BUILD_DIR [CONFIG]}
mkdir -p "$build" && build=$(cd "$build" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
src=$build/linux
out=$build/kernel-deb
base=${2:-/usr/src/linux-config-6.12/config.amd64_none_amd64.xz}
jobs=${JOBS:-$(nproc)}
[ -f "$base" ] || { echo "[kernel-deb] ERROR: no base configuration $base (package linux-config-6.12)" >&2; exit 1; }

# The patched tree, as `make kernel` prepares it.
"$top/scripts/kernel-tree.sh" "$src"
mkdir -p "$out"
case $base in
*.xz) xz -dc "$base" >"$out/.config" ;;
*) cp "$base" "$out/.config" ;;
esac
cfg() { "$src/scripts/config" --file "$out/.config" "$@"; }
cfg --enable MULT
# Debian signs its kernels with keys that are not here: the build makes its
# own module signing key, and trusts no extra certificate.
cfg --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS ""
# No debug info: it would triple the build and add a multi-GB -dbg package.
cfg --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_BTF \
	--enable DEBUG_INFO_NONE
cfg --set-str LOCALVERSION "-mult"
make -s -C "$src" O="$out" olddefconfig
grep -qx 'CONFIG_MULT=y' "$out/.config" ||
	{ echo "[kernel-deb] ERROR: CONFIG_MULT=y did not survive olddefconfig" >&2; exit 1; }
release=$(make -s -C "$src" O="$out" kernelrelease)
echo "[kernel-deb] building $release with bindeb-pkg (log: $out/build.log; about an hour)"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
make -C "$src" O="$out" CC="$cc" -j"$jobs" bindeb-pkg >"$out/build.log" 2>&1 ||
	{ grep -E 'error|Error' "$out/build.log" | tail -20 >&2; echo "[kernel-deb] ERROR: build failed" >&2; exit 1; }
ls "$build"/linux-*"${release}"*.deb "$build"/linux-libc-dev_*.deb 2>/dev/null | sed 's/^/[kernel-deb] /'
