#!/usr/bin/env bash
# Build the kernel's own regression selftests from the patched tree, plus the
# mult selftests, as static binaries for the guest. Nothing is written into
# the kernel tree: headers come from the kernel build directory and objects
# go to O=.
# Usage: build-selftests.sh BUILD_DIR CONFIG
set -euo pipefail
build=${1:?usage: build-selftests.sh BUILD_DIR CONFIG}
cfg=${2:?}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$build/linux
hdrs=$build/kernel-$cfg/headers/include
out=$build/kselftest
inst=$build/kselftest-install
jobs=${JOBS:-$(nproc)}
targets="pidfd clone3 proc ptrace pid_namespace net/af_unix core"

mkdir -p "$out"
echo "[selftests] building $targets"
if ! make -s -C "$src/tools/testing/selftests" O="$out" TARGETS="$targets" \
	KHDR_INCLUDES="-isystem $hdrs" LDFLAGS="-static -pthread" \
	INSTALL_PATH="$inst" -j"$jobs" install >"$out/build.log" 2>&1; then
	grep -E 'error' "$out/build.log" | head -20 >&2
	echo "[selftests] ERROR: build failed, see $out/build.log" >&2
	exit 1
fi

# mult's own selftests: one static binary per source file.
mkdir -p "$build/mult-tests"
for c in "$top"/tests/kselftest/mult/*.c; do
	[ -e "$c" ] || continue
	bin=$build/mult-tests/$(basename "$c" .c)
	if [ ! -e "$bin" ] || [ -n "$(find "$c" "$top"/tests/kselftest/mult/*.h -newer "$bin" 2>/dev/null)" ]; then
		gcc -static -O2 -g -Wall -Wextra -Werror -pthread \
			-I"$src/tools/testing/selftests" -isystem "$hdrs" "$c" -o "$bin"
	fi
done
echo "[selftests] ready: $(grep -c . "$inst/kselftest-list.txt") kernel selftests, $(ls "$build/mult-tests" | wc -l) mult selftests"
