#!/usr/bin/env bash
# make bench: build the kernel without debugging (KCONFIG=bench), boot it
# once with the benchmark (tests/bench/mult_bench.c) as the whole plan, and
# turn its measurements into build/bench/results.json, a plot and the
# tables of docs/performance.md. Every figure is taken in that one boot,
# variants interleaved, so ratios compare like with like. Nothing here
# passes or fails on time: the run fails only if the guest or a benchmark
# section did not run.
#
# Usage: bench.sh BUILD_DIR
#   BENCH_ARGS     arguments for mult_bench (default none: the full run;
#                  --quick for a smoke test of a few minutes)
#   BENCH_TIMEOUT  hard limit for the guest, seconds (default 3600)
#   BENCH_DOCS     0 to leave docs/performance.md and its plot untouched
#   BENCH_R9       0 to skip R9: the patched kernel with no instance alive
#                  against the unpatched one (same config), booted in turn
#   BENCH_R9_BOOTS boots of each kernel for R9 (default 2)
set -euo pipefail
build=${1:?usage: bench.sh BUILD_DIR}
mkdir -p "$build" && build=$(cd "$build" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
kout=$build/kernel-bench
out=$build/bench
logdir=$build/logs/bench
timeout=${BENCH_TIMEOUT:-3600}

"$top/scripts/build-kernel.sh" "$build" bench
"$top/scripts/build-userland.sh" "$build"

rm -rf "$out" && mkdir -p "$out/extra/opt/bench" "$out/extra/usr/bin"
hdrs=$kout/headers/include
gcc -static -O2 -Wall -Wextra -Werror -pthread -isystem "$hdrs" \
	"$top/tests/bench/mult_bench.c" -o "$out/extra/opt/bench/mult_bench" -lm
install -m 0755 "$build/userland-guest/bin/instfork" "$out/extra/usr/bin/instfork"

# bubblewrap, for the tools comparison: Debian's dynamically linked binary
# with the libraries it loads.
copy_with_libs() { # BINARY: into extra/ at the same path, with its libraries
	local bin=$1 lib
	install -D -m 0755 "$bin" "$out/extra$bin"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		install -D -m 0755 "$(readlink -f "$lib")" "$out/extra$lib"
	done
}
if [ -x /usr/bin/bwrap ]; then
	copy_with_libs /usr/bin/bwrap
else
	echo "[bench] bubblewrap not installed: its row will be missing (apt-get install bubblewrap)"
fi

echo "bench/mult_bench root /opt/bench $timeout ./mult_bench ${BENCH_ARGS:-}" >"$out/bench.plan"
KHDRS=$hdrs "$top/tests/vm/mkinitramfs.sh" "$build" "$out/bench.cpio.gz" "$out/bench.plan"

echo "[bench] one boot of the bench kernel runs every measurement (this takes a while under TCG)"
# 10,000 blocked processes and 1,000 instances need more than the tests' 2G.
VM_MEM=${VM_MEM:-4G} "$top/tests/vm/run-qemu.sh" "$kout/arch/x86/boot/bzImage" "$out/bench.cpio.gz" \
	bench "$logdir" "$timeout"
tr -d '\r' <"$logdir/results.txt" | grep '^# ' | sed 's/^/[bench] /' || true

judge=0
"$top/tests/vm/summarize.py" "$logdir" "$top/tests/vm/xfail.txt" >"$logdir/summary.txt" || judge=1

# R9: the same measurements that need no instance, on the patched kernel and
# on Debian's kernel without the series, boot after boot in alternating
# order, so that the machine's drift falls on both.
r9=()
if [ "${BENCH_R9:-1}" != 0 ]; then
	"$top/scripts/build-unpatched-kernel.sh" "$build" bench
	echo "bench/r9 root /opt/bench $timeout ./mult_bench --no-instances --section create --section syscalls" \
		"--section readdir ${BENCH_ARGS:-}" >"$out/r9.plan"
	KHDRS=$hdrs "$top/tests/vm/mkinitramfs.sh" "$build" "$out/r9.cpio.gz" "$out/r9.plan"
	rm -rf "$logdir-r9"
	for round in $(seq "${BENCH_R9_BOOTS:-2}"); do
		order="patched unpatched"
		[ $((round % 2)) = 0 ] && order="unpatched patched"
		for kind in $order; do
			kimg=$kout/arch/x86/boot/bzImage
			[ "$kind" = unpatched ] && kimg=$build/kernel-bench-unpatched/arch/x86/boot/bzImage
			echo "[bench] R9 boot $round: the $kind kernel"
			"$top/tests/vm/run-qemu.sh" "$kimg" "$out/r9.cpio.gz" bench "$logdir-r9/$kind-$round" "$timeout"
			"$top/tests/vm/summarize.py" "$logdir-r9/$kind-$round" "$top/tests/vm/xfail.txt" \
				>"$logdir-r9/$kind-$round/summary.txt" || judge=1
			r9+=("$logdir-r9/$kind-$round")
		done
	done
fi
report=(--json "$out/results.json" --png "$out/performance.png")
[ ${#r9[@]} = 0 ] || report+=(--r9 "${r9[@]}")
if [ "${BENCH_DOCS:-1}" != 0 ]; then
	report+=(--doc "$top/docs/performance.md")
fi
/usr/bin/python3 "$top/scripts/bench-report.py" "$logdir" "${report[@]}"
if [ "${BENCH_DOCS:-1}" != 0 ] && [ -f "$out/performance.png" ]; then
	cp "$out/performance.png" "$top/docs/performance.png"
fi
if [ $judge != 0 ]; then
	sed 's/^/[bench] /' "$logdir/summary.txt" >&2
	echo "[bench] ERROR: the benchmark run did not complete cleanly; see $logdir" >&2
	exit 1
fi
tables=
[ "${BENCH_DOCS:-1}" != 0 ] && tables=", tables: docs/performance.md"
echo "[bench] results: $out/results.json, plot: $out/performance.png$tables"
