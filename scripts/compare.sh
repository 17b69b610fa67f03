#!/usr/bin/env bash
# make compare: the leak matrix. Build the kernel without debugging
# (KCONFIG=bench, the one make bench measures), boot it once with
# tests/compare/mult_compare.c as the whole plan, and turn its COMPARE lines
# into build/compare/results.json and the matrix of docs/comparison.md, with
# the creation costs of build/bench/results.json when make bench has run.
# The run fails only if the guest or the program did not run cleanly; what
# the probes find is reported, never judged.
#
# Usage: compare.sh BUILD_DIR
#   COMPARE_TIMEOUT  hard limit for the guest, seconds (default 900)
#   COMPARE_DOCS     0 to leave docs/comparison.md untouched
set -euo pipefail
build=${1:?usage: compare.sh BUILD_DIR}
mkdir -p "$build" && build=$(cd "$build" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
kout=$build/kernel-bench
out=$build/compare
logdir=$build/logs/compare
timeout=${COMPARE_TIMEOUT:-900}
start=$(date +%s)

"$top/scripts/build-kernel.sh" "$build" bench

rm -rf "$out" && mkdir -p "$out/extra/opt/compare"
hdrs=$kout/headers/include
gcc -static -O2 -Wall -Wextra -Werror -isystem "$hdrs" \
	"$top/tests/compare/mult_compare.c" -o "$out/extra/opt/compare/mult_compare"
echo "compare/mult_compare root /opt/compare $timeout ./mult_compare" >"$out/compare.plan"
KHDRS=$hdrs "$top/tests/vm/mkinitramfs.sh" "$build" "$out/compare.cpio.gz" "$out/compare.plan"

echo "[compare] one boot of the bench kernel runs every probe against every variant"
"$top/tests/vm/run-qemu.sh" "$kout/arch/x86/boot/bzImage" "$out/compare.cpio.gz" \
	bench "$logdir" "$timeout"
tr -d '\r' <"$logdir/results.txt" | grep '^# ' | sed 's/^/[compare] /' || true

judge=0
"$top/tests/vm/summarize.py" "$logdir" "$top/tests/vm/xfail.txt" >"$logdir/summary.txt" || judge=1
report=(--json "$out/results.json" --bench "$build/bench/results.json")
[ "${COMPARE_DOCS:-1}" != 0 ] && report+=(--doc "$top/docs/comparison.md")
/usr/bin/python3 "$top/scripts/compare-report.py" "$logdir" "${report[@]}" || judge=1
if [ $judge != 0 ]; then
	sed 's/^/[compare] /' "$logdir/summary.txt" >&2
	echo "[compare] ERROR: the compare run did not complete cleanly; see $logdir" >&2
	exit 1
fi
matrix=
[ "${COMPARE_DOCS:-1}" != 0 ] && matrix=", matrix: docs/comparison.md"
echo "[compare] results: $out/results.json$matrix ($(($(date +%s) - start)) s)"
