#!/usr/bin/env bash
# Build Debian's Linux 6.12 without the series, in the same configuration as
# the patched kernel less CONFIG_MULT: the baseline `make bench` boots beside
# the patched kernel to measure R9 (no cost while no instance is alive).
# The source is a git worktree of build/linux at the tag mult-base, so the
# patched tree and its build directories are left alone.
#
# Usage: build-unpatched-kernel.sh BUILD_DIR CONFIG     (CONFIG: bench)
#   -> BUILD_DIR/kernel-CONFIG-unpatched/arch/x86/boot/bzImage
set -euo pipefail
build=${1:?usage: build-unpatched-kernel.sh BUILD_DIR CONFIG}
cfg=${2:?}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$build/linux
wt=$build/linux-unpatched
out=$build/kernel-$cfg-unpatched
jobs=${JOBS:-$(nproc)}
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

"$top/scripts/kernel-tree.sh" "$src"
if [ ! -d "$wt" ]; then
	git -C "$src" worktree add -q --detach "$wt" mult-base
fi
git -C "$wt" checkout -q --detach mult-base
mkdir -p "$out"
# The same fragments, without the one symbol the series adds.
grep -v '^CONFIG_MULT=' "$top/kernel/config/base" >"$out/base-unpatched.config"
"$top/scripts/kernel-config.sh" "$wt" "$out" "$out/base-unpatched.config" "$top/kernel/config/$cfg"
start=$(date +%s)
echo "[kernel] compiling the unpatched $cfg kernel (the R9 baseline)"
if ! make -s -C "$wt" O="$out" CC="$cc" -j"$jobs" bzImage >"$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -30 >&2
	echo "[kernel] ERROR: unpatched build failed, full log: $out/build.log" >&2
	exit 1
fi
echo "[kernel] unpatched $cfg kernel ready in $(($(date +%s) - start)) s: $out/arch/x86/boot/bzImage"
