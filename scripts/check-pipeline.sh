#!/usr/bin/env bash
# The test pipeline's own tests: a guest run must fail when a test fails,
# when the guest never reports back, and when the kernel WARNs; and it must
# pass when everything passes. A guest that prints nothing (an accelerator
# that runs nothing) must be caught in seconds, and ACCEL=auto must leave a
# KVM that runs nothing for TCG. Each scenario boots a small guest and checks
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
pass_() { echo "[pipeline]   ok   $1"; passed=$((passed + 1)); }
fail_() { echo "[pipeline]   FAIL $1" >&2; failed=$((failed + 1)); }

# scenario NAME EXPECT(pass|fail) MUST_MATCH VM_TIMEOUT PLAN_LINE [MAX_SECONDS [VAR=VALUE...]]
# Boots a guest with a one-line plan (and the environment given) and checks
# the judge's verdict, that MUST_MATCH appears in what the judge, the runner
# or the console said, and, with MAX_SECONDS, that the boot ended in time.
scenario() {
	local name=$1 expect=$2 match=$3 tmo=$4 line=$5 max=${6:-} out verdict started secs
	shift $(($# < 6 ? $# : 6))
	echo "$line" >"$work/$name.plan"
	"$top/tests/vm/mkinitramfs.sh" "$build" "$work/$name.cpio.gz" "$work/$name.plan"
	mkdir -p "$logdir/$name"
	started=$(date +%s)
	env "$@" "$top/tests/vm/run-qemu.sh" "$bzimage" "$work/$name.cpio.gz" check "$logdir/$name" "$tmo" \
		>"$logdir/$name/run.log" 2>&1
	secs=$(($(date +%s) - started))
	out=$("$top/tests/vm/summarize.py" "$logdir/$name" "$top/tests/vm/xfail.txt")
	verdict=$([ $? = 0 ] && echo pass || echo fail)
	if [ "$verdict" = "$expect" ] &&
		grep -q -- "$match" <<<"$out"$'\n'"$(cat "$logdir/$name/run.log" "$logdir/$name/console.log" 2>/dev/null)" &&
		{ [ -z "$max" ] || [ "$secs" -le "$max" ]; }; then
		pass_ "$name: the run was judged '$verdict' ($match) in $secs s"
	else
		fail_ "$name: expected '$expect' with '$match'${max:+ within $max s}, got '$verdict' in $secs s:"
		sed 's/^/[pipeline]        /' <<<"$out"$'\n'"$(cat "$logdir/$name/run.log")" >&2
	fi
}
echo "[pipeline] checking that the test pipeline catches failures (7 short guest boots and a cached verdict)"
scenario all-pass pass "vm: 2 passed, 0 failed" 300 "selftest/true root / 30 true"
scenario test-fails fail "FAIL  selftest/false \[root\]: exit status 1" 300 "selftest/false root / 30 false"
scenario guest-silent fail "never reported completion: timed out" 60 "selftest/hang root / 600 sleep 600"
scenario kernel-warns fail "deliberate warning" 300 "selftest/warn root / 30 insmod /lib/modules/mult_warn_test.ko"

# The accelerator: a KVM that exists but runs nothing (simulated on any
# machine: TCG with its CPUs stopped) is never waited on for the whole timeout.
cache=$work/accel-cache
fake=(MULT_VM_SIMULATE=broken-kvm MULT_ACCEL_CACHE=$cache PROBE_TIMEOUT=5 FIRST_OUTPUT_KVM=10)
# Forced onto it, the guest is reported silent within seconds, not 600 s.
scenario kvm-forced-silent fail "printed nothing on kvm" 600 "selftest/true root / 30 true" 90 \
	ACCEL=kvm "${fake[@]}"
# Left to choose, the probe finds it broken and the run passes on TCG.
scenario kvm-probe-fallback pass "KVM probe boot printed nothing within 5 s, so TCG" 300 \
	"selftest/true root / 30 true" "" ACCEL=auto "${fake[@]}"
# The verdict is kept for the machine: the next choice needs no probe.
if choice=$(env ACCEL=auto "${fake[@]}" "$top/tests/vm/accel.sh" "$bzimage") &&
	[[ $choice == tcg*"cached verdict"* ]]; then
	pass_ "kvm-verdict-cached: $choice"
else
	fail_ "kvm-verdict-cached: expected TCG from the cached verdict, got: $choice"
fi
# A KVM once found working that stops running guests: the silent boot is
# cut short, the verdict revised, and the same run finishes on TCG.
env "${fake[@]}" "$top/tests/vm/accel.sh" --record ok "pretend an earlier probe passed"
scenario kvm-silent-fallback pass "falling back to TCG" 300 "selftest/true root / 30 true" "" \
	ACCEL=auto "${fake[@]}"
echo "pipeline: $passed passed, $failed failed, 0 skipped" | tee "$logdir/summary.txt"
[ "$failed" = 0 ]
