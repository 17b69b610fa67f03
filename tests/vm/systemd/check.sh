#!/usr/bin/env bash
# make check-systemd: boot the debug kernel on a Debian 12 root with real
# systemd and OpenSSH, run the service-instance tests (payload/run.sh) and
# judge them with tests/vm/summarize.py, whose closing line is printed as
# 'systemd: N passed, M failed, K skipped'.
#
# The kernel and the module are copied into BUILD/svc first: a kernel
# rebuild started meanwhile cannot swap them under the running guest.
# Usage: check.sh BUILD_DIR LOGDIR [TIMEOUT_SECONDS]
#   KERNEL (default BUILD/kernel-debug/arch/x86/boot/bzImage), MODULE
#   (BUILD/module/mult_mgmt.ko), GUEST_BIN (BUILD/userland-guest/bin: the
#   static instfork and instctl).
set -euo pipefail
build=${1:?usage: check.sh BUILD_DIR LOGDIR [TIMEOUT]}
logdir=${2:?}
tmo=${3:-1500}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
kernel=${KERNEL:-$build/kernel-debug/arch/x86/boot/bzImage}
module=${MODULE:-$build/module/mult_mgmt.ko}
bin=${GUEST_BIN:-$build/userland-guest/bin}
mkdir -p "$build/svc" "$logdir"
for f in "$kernel" "$module" "$bin/instfork" "$bin/instctl"; do
	[ -f "$f" ] || { echo "[systemd-guest] missing $f" >&2; echo "systemd: 0 passed, 1 failed, 0 skipped"; exit 1; }
done
cp "$kernel" "$build/svc/bzImage"
root=$("$here/mkroot.sh" "$build") || { echo "systemd: 0 passed, 1 failed, 0 skipped"; exit 1; }
"$here/mkpayload.sh" "$build/svc/payload.img" "$bin/instfork" "$bin/instctl" "$module"

# The root disk is left unchanged (snapshot): every run boots the same
# system. systemd is PID 1 (Debian's /sbin/init).
VM_DISKS="$root:snapshot $build/svc/payload.img" \
	VM_APPEND="root=/dev/vda rw rootfstype=ext4 systemd.show_status=false no_timer_check acpi=noirq" \
	"$top/tests/vm/run-qemu.sh" "$build/svc/bzImage" none check "$logdir" "$tmo"
set +e
"$top/tests/vm/summarize.py" "$logdir" "$top/tests/vm/xfail.txt" | sed 's/^vm: /systemd: /' |
	tee "$logdir/summary.txt"
exit "${PIPESTATUS[0]}"
