#!/usr/bin/env bash
# Build the C++ userland twice: for the host with its GoogleTest tests, and
# statically linked for the guest image, with the in-guest GoogleTests
# (build/userland-guest/guest-tests) instead of the host ones.
# With `tools`, only the two tools for this machine, without any test
# (build/userland-tools: what `make install` installs, needing only the
# build dependencies of `scripts/deps.sh build`).
# Usage: build-userland.sh BUILD_DIR [tools]
set -euo pipefail
build=${1:?usage: build-userland.sh BUILD_DIR [tools]}
mode=${2:-all}
# Absolute: the path goes into the CMake cache (a relative runtime output
# directory would be taken relative to each target's own build folder).
mkdir -p "$build" && build=$(cd "$build" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}
if [ ! -f "$top/CMakeLists.txt" ]; then
	echo "[userland] no userland in this tree yet"
	exit 0
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
configure() { # DIR -DNAME=VALUE...
	local dir=$1; shift
	local arg name
	if [ -f "$dir/CMakeCache.txt" ]; then
		# Configured before: again only if the cache lacks one of these
		# settings (an option added since, for example).
		for arg in "$@"; do
			arg=${arg#-D} name=${arg%%=*}
			awk -v n="$name:" -v v="${arg#*=}" 'index($0, n) == 1 && substr($0, index($0, "=") + 1) == v { f = 1 }
				END { exit !f }' "$dir/CMakeCache.txt" || { cmake "$dir" "$@" >/dev/null; return; }
		done
		return
	fi
	cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" >/dev/null
}
if [ "$mode" = tools ]; then
	echo "[userland] building instfork and instctl"
	configure "$build/userland-tools" -DMULT_BUILD_TESTS=OFF
	cmake --build "$build/userland-tools" -j"$jobs" --target instfork instctl >"$build/userland-tools.log" 2>&1 ||
		{ tail -30 "$build/userland-tools.log" >&2; echo "[userland] ERROR: build failed" >&2; exit 1; }
	exit 0
fi
echo "[userland] building (host with tests, static for the guest)"
configure "$build/userland-host" -DMULT_BUILD_TESTS=ON
cmake --build "$build/userland-host" -j"$jobs" >"$build/userland-host.log" 2>&1 ||
	{ tail -30 "$build/userland-host.log" >&2; echo "[userland] ERROR: host build failed" >&2; exit 1; }
# The guest build also carries the in-guest GoogleTests (tests/guest), which
# need the patched kernel: the image runs them, the host never does.
# Static instctl needs libsmartcols.a, which Debian does not ship.
smartcols=$("$top/scripts/build-smartcols-static.sh" "$build")
configure "$build/userland-guest" -DMULT_BUILD_TESTS=OFF -DMULT_STATIC=ON -DMULT_BUILD_GUEST_TESTS=ON \
	-DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$build/userland-guest/bin" -DCMAKE_PREFIX_PATH="$smartcols"
cmake --build "$build/userland-guest" -j"$jobs" >"$build/userland-guest.log" 2>&1 ||
	{ tail -30 "$build/userland-guest.log" >&2; echo "[userland] ERROR: guest build failed" >&2; exit 1; }
