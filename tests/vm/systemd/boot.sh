#!/usr/bin/env bash
# Boot the systemd guest once: the debug kernel on the Debian 12 root
# (mkroot.sh, built once and cached in BUILD/svc), with a payload disk
# (mkpayload.sh) whose run.sh is SCRIPT. mult-test.service runs that script
# once the system is up; it reports on /dev/ttyS1 (LOGDIR/results.txt) and
# powers the guest off. Shared by `make check-systemd` (check.sh, SCRIPT
# payload/run.sh, MODE check) and the ssh chapter of `make demo`
# (scripts/demo.sh, SCRIPT demo.sh, MODE demo: run-qemu.sh shows the
# console from the guest's '[guest] up' line on).
#
# The kernel is copied into LOGDIR first, and the payload made there: a
# kernel rebuild started meanwhile cannot swap it under the running guest,
# and a demo and a check can run side by side. The root disk is used as a
# QEMU snapshot: every run boots the same, unchanged system.
#
# Usage: boot.sh BUILD_DIR SCRIPT MODE LOGDIR TIMEOUT_SECONDS
#   KERNEL (default BUILD/kernel-debug/arch/x86/boot/bzImage), MODULE
#   (BUILD/module/mult_mgmt.ko), GUEST_BIN (BUILD/userland-guest/bin: the
#   static instfork and instctl). Exit status 1 when something the guest
#   needs is missing or the root cannot be built; otherwise run-qemu.sh's.
set -euo pipefail
build=${1:?usage: boot.sh BUILD_DIR SCRIPT MODE LOGDIR TIMEOUT}
script=${2:?}
mode=${3:?}
logdir=${4:?}
tmo=${5:?}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
kernel=${KERNEL:-$build/kernel-debug/arch/x86/boot/bzImage}
module=${MODULE:-$build/module/mult_mgmt.ko}
bin=${GUEST_BIN:-$build/userland-guest/bin}
for f in "$kernel" "$module" "$bin/instfork" "$bin/instctl" "$script"; do
	[ -f "$f" ] || { echo "[systemd-guest] missing $f" >&2; exit 1; }
done
mkdir -p "$build/svc" "$logdir"
cp "$kernel" "$logdir/bzImage"
root=$("$here/mkroot.sh" "$build")
"$here/mkpayload.sh" "$logdir/payload.img" "$bin/instfork" "$bin/instctl" "$module" "$script"

# systemd is PID 1 (Debian's /sbin/init).
VM_DISKS="$root:snapshot $logdir/payload.img" \
	VM_APPEND="root=/dev/vda rw rootfstype=ext4 systemd.show_status=false no_timer_check acpi=noirq" \
	"$top/tests/vm/run-qemu.sh" "$logdir/bzImage" none "$mode" "$logdir" "$tmo"
