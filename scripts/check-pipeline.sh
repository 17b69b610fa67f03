#!/usr/bin/env bash
# The test pipeline's own tests: a guest run must fail when a test fails,
# when the guest never reports back, and when the kernel WARNs; and it must
# pass when everything passes. Each scenario boots a small guest and checks
# the verdict of tests/vm/summarize.py. Writes 'pipeline: N passed, N failed,
# N skipped' to LOGDIR/summary.txt.
# Usage: check-pipeline.sh BUILD_DIR CONFIG LOGDIR
set -uo pipefail
build=${1:?usage: check-pipeline.sh BUILD_DIR CONFIG LOGDIR}
cfg=${2:?}
logdir=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
kout=$build/kernel-$cfg
bzimage=$kout/arch/x86/boot/bzImage
work=$build/pipeline
rm -rf "$work" && mkdir -p "$work/src" "$work/extra/lib/modules" "$logdir"

# A module whose init WARNs, built against the same kernel.
cp "$top"/tests/vm/warn-module/{Kbuild,mult_warn_test.c} "$work/src/"
if ! make -s -C "$build/linux" O="$kout" M="$work/src" modules >"$work/module.log" 2>&1; then
	cat "$work/module.log" >&2
	echo "pipeline: 0 passed, 1 failed, 0 skipped" | tee "$logdir/summary.txt"
	exit 1
fi
cp "$work/src/mult_warn_test.ko" "$work/extra/lib/modules/"

passed=0 failed=0
# scenario NAME EXPECT(pass|fail) MUST_MATCH VM_TIMEOUT PLAN_LINE
scenario() {
	local name=$1 expect=$2 match=$3 tmo=$4 line=$5 out verdict
	echo "$line" >"$work/$name.plan"
	"$top/tests/vm/mkinitramfs.sh" "$build" "$work/$name.cpio.gz" "$work/$name.plan"
	"$top/tests/vm/run-qemu.sh" "$bzimage" "$work/$name.cpio.gz" check "$logdir/$name" "$tmo" >/dev/null 2>&1
	out=$("$top/tests/vm/summarize.py" "$logdir/$name" "$top/tests/vm/xfail.txt")
	verdict=$([ $? = 0 ] && echo pass || echo fail)
	if [ "$verdict" = "$expect" ] && grep -q -- "$match" <<<"$out"$'\n'"$(cat "$logdir/$name/console.log" 2>/dev/null)"; then
		echo "[pipeline]   ok   $name: the run was judged '$verdict' ($match)"
		passed=$((passed + 1))
	else
		echo "[pipeline]   FAIL $name: expected '$expect' with '$match', got '$verdict':" >&2
		sed 's/^/[pipeline]        /' <<<"$out" >&2
		failed=$((failed + 1))
	fi
}
echo "[pipeline] checking that the test pipeline catches failures (4 short guest boots)"
scenario all-pass pass "vm: 1 passed, 0 failed" 300 "selftest/true root / 30 true"
scenario test-fails fail "FAIL  selftest/false \[root\]: exit status 1" 300 "selftest/false root / 30 false"
scenario guest-silent fail "never reported completion" 60 "selftest/hang root / 600 sleep 600"
scenario kernel-warns fail "deliberate warning" 300 "selftest/warn root / 30 insmod /lib/modules/mult_warn_test.ko"
echo "pipeline: $passed passed, $failed failed, 0 skipped" | tee "$logdir/summary.txt"
[ "$failed" = 0 ]
