#!/usr/bin/env bash
# Build the patched kernel for one configuration (debug or bench) and install
# its uapi headers next to it, all out of tree (O=), with ccache.
# Usage: build-kernel.sh BUILD_DIR CONFIG
set -euo pipefail
build=${1:?usage: build-kernel.sh BUILD_DIR CONFIG}
cfg=${2:?}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$build/linux
out=$build/kernel-$cfg
jobs=${JOBS:-$(nproc)}

"$top/scripts/kernel-tree.sh" "$src"
"$top/scripts/kernel-config.sh" "$src" "$out" "$top/kernel/config/base" "$top/kernel/config/$cfg"

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
start=$(date +%s)
echo "[kernel] compiling $cfg kernel (a cold build takes about 10 minutes; incremental ones seconds)"
if ! make -s -C "$src" O="$out" CC="$cc" -j"$jobs" bzImage modules >"$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -30 >&2
	echo "[kernel] ERROR: build failed, full log: $out/build.log" >&2
	exit 1
fi
make -s -C "$src" O="$out" headers_install INSTALL_HDR_PATH="$out/headers" >/dev/null
echo "[kernel] $cfg kernel ready in $(($(date +%s) - start)) s: $out/arch/x86/boot/bzImage ($(make -s -C "$src" O="$out" kernelrelease))"
