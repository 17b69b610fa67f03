#!/usr/bin/env bash
# make stress: the stress stage (tests/stress) on the debug kernel, one boot
# with VM_CPUS (2) CPUs: stress-ng and trinity inside instances, instance
# churn, module unload/reload under load, netlink fuzzing, limits and pid
# exhaustion, each followed by the checks of tests/stress/stress.sh, judged
# by tests/vm/summarize.py like make check (kernel reports in the console,
# kmemleak, every stressor's status). Logs in build/logs/stress.
#
# Usage: stress.sh BUILD_DIR
#   STRESS_SECONDS  seconds each stressor runs (default 60; 10 stressors)
#   STRESS_TIMEOUT  hard limit for the guest, seconds (default: from the above)
#   STRESS_KMEMLEAK 0: no kmemleak scans after each stressor (two take
#                   about two minutes under TCG); the final scan stays
#   STRESS_BUILD    0: build nothing, use what is there (default 1: make
#                   module userland, which builds the kernel if needed)
#   STRESS_KERNEL, STRESS_MODULE, STRESS_USERLAND: another bzImage, .ko or
#                   directory of the static instfork and instctl
# The kernel and module are copied into build/stress first: a rebuild
# during the run does not change what the guest runs.
set -euo pipefail
build=${1:?usage: stress.sh BUILD_DIR}
mkdir -p "$build" && build=$(cd "$build" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${STRESS_SECONDS:-60}
timeout=${STRESS_TIMEOUT:-$((11 * (secs + 400) + 900))}
out=$build/stress
logdir=$build/logs/stress
start=$(date +%s)

if [ "${STRESS_BUILD:-1}" != 0 ]; then
	make -s -C "$top" module userland KCONFIG=debug
fi
kernel=${STRESS_KERNEL:-$build/kernel-debug/arch/x86/boot/bzImage}
module=${STRESS_MODULE:-$build/module/mult_mgmt.ko}
userland=${STRESS_USERLAND:-$build/userland-guest/bin}
for f in "$kernel" "$module" "$userland/instfork" "$userland/instctl"; do
	[ -e "$f" ] || { echo "[stress] ERROR: $f is missing" >&2; exit 1; }
done

rm -rf "$out/extra" && mkdir -p "$out/extra/usr/bin" "$out/extra/lib/modules"
cp "$kernel" "$out/bzImage"
cp "$module" "$out/extra/lib/modules/mult_mgmt.ko"
install -m 0755 "$userland/instfork" "$userland/instctl" "$out/extra/usr/bin/"
khdrs=$build/kernel-debug/headers/include
"$top/tests/stress/install.sh" "$out/extra" "$khdrs"
"$top/tests/stress/mkplan.sh" "$secs" 4096 "${STRESS_KMEMLEAK:-1}" >"$out/stress.plan"
KHDRS=$khdrs "$top/tests/vm/mkinitramfs.sh" "$build" "$out/stress.cpio.gz" "$out/stress.plan"

echo "[stress] $(grep -vc '^#' "$out/stress.plan") stages, ${secs}s per stressor, guest timeout ${timeout}s"
"$top/tests/vm/run-qemu.sh" "$out/bzImage" "$out/stress.cpio.gz" check "$logdir" "$timeout"
# The counts and every check, for a reader to judge the load.
tr -d '\r' <"$logdir/results.txt" | grep -E '^(# |ok |not ok )' | sed 's/^/[stress] /' || true
rc=0
"$top/tests/vm/summarize.py" "$logdir" "$top/tests/vm/xfail.txt" | tee "$logdir/summary.txt" || rc=1
echo "[stress] finished in $(($(date +%s) - start)) s; logs in $logdir"
exit $rc
