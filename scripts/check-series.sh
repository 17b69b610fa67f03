#!/usr/bin/env bash
# Build every prefix of the patch series: each patch must build on its own
# (one logical change per patch). Uses a git worktree of build/linux, so the
# main tree and its build directories are left alone, and the bench
# configuration (no lock debugging: spinlock_t is 4 bytes there, so the R9
# static_asserts on struct pid and signal_struct are checked too).
#
# Usage: check-series.sh BUILD_DIR [CONFIG]     (CONFIG: bench by default)
#   SERIES_OBJECTS=1  quick mode: at each patch compile only the objects of
#                     every .c file the series has touched so far (headers the
#                     patch changes recompile them), not the whole bzImage. A
#                     patch that changes sched/signal.h or pid.h costs a full
#                     rebuild (15 min on two busy cores); this takes seconds.
#                     Linking is left to the full mode and the last patch.
set -euo pipefail
build=${1:?usage: check-series.sh BUILD_DIR [CONFIG]}
cfg=${2:-bench}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$build/linux
wt=$build/linux-series
out=$build/kernel-series-$cfg
jobs=${JOBS:-$(nproc)}
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

"$top/scripts/kernel-tree.sh" "$src"
if [ ! -d "$wt" ]; then
	git -C "$src" worktree add -q --detach "$wt" mult-base
fi
commits=$(git -C "$src" rev-list --reverse mult-base..HEAD)
[ -n "$commits" ] || { echo "[series] ERROR: no patches on top of mult-base" >&2; exit 1; }

n=0 failed=0
for c in $commits; do
	n=$((n + 1))
	subject=$(git -C "$src" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	# The fragments are the same for every patch; configure once, keep it.
	if [ ! -f "$out/.config" ]; then
		"$top/scripts/kernel-config.sh" "$wt" "$out" "$top/kernel/config/base" "$top/kernel/config/$cfg"
	fi
	start=$(date +%s)
	targets=bzImage mode=
	if [ "${SERIES_OBJECTS:-0}" = 1 ]; then
		mode=", objects only"
		make -s -C "$wt" O="$out" CC="$cc" olddefconfig prepare >"$out/build-$n.log" 2>&1 || true
		targets=$(git -C "$src" diff --name-only mult-base "$c" -- '*.c' | sed 's/\.c$/.o/')
	fi
	# shellcheck disable=SC2086 # one make argument per object
	if make -s -C "$wt" O="$out" CC="$cc" -j"$jobs" olddefconfig $targets >>"$out/build-$n.log" 2>&1; then
		echo "[series] patch $n builds ($(($(date +%s) - start)) s$mode): $subject"
	else
		echo "[series] patch $n FAILS to build: $subject (log: $out/build-$n.log)" >&2
		grep -E 'error' "$out/build-$n.log" | head -10 >&2
		failed=1
	fi
done
exit $failed
