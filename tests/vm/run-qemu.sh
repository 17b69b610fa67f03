#!/usr/bin/env bash
# Boot the guest under QEMU (KVM when /dev/kvm is usable, TCG otherwise).
# The console goes to LOGDIR/console.log (and to the terminal in demo/shell
# mode); results come back on a second serial port into LOGDIR/results.txt.
# panic_on_warn turns a WARN into a panic, panic=-1 and -no-reboot turn a
# panic into the end of QEMU; a hard timeout bounds the whole run.
# Usage: run-qemu.sh BZIMAGE INITRD MODE LOGDIR TIMEOUT_SECONDS
set -euo pipefail
kernel=${1:?usage: run-qemu.sh BZIMAGE INITRD MODE LOGDIR TIMEOUT}
initrd=${2:?}
mode=${3:?}
logdir=${4:?}
tmo=${5:?}
mkdir -p "$logdir"
rm -f "$logdir/console.log" "$logdir/results.txt"
: >"$logdir/results.txt"

accel=(-accel tcg)
if [ -w /dev/kvm ]; then
	accel=(-accel kvm -cpu host)
fi
append="console=ttyS0 panic_on_warn=1 panic=-1 oops=panic softlockup_panic=1 mult.mode=$mode"
# In demo and shell mode only warnings and worse reach the console.
[ "$mode" = check ] || append="$append loglevel=4"
qemu=(qemu-system-x86_64 "${accel[@]}" -m 2G -smp 2 -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-display none -monitor none -nic none)

echo "[vm] booting $(basename "$kernel") in QEMU (${accel[1]}), mode $mode, timeout ${tmo}s"
started=$(date +%s)
case "$mode" in
shell)
	exec "${qemu[@]}" -serial mon:stdio -serial "file:$logdir/results.txt"
	;;
demo)
	# The console is the story: show it, keep a copy.
	set +e
	timeout --foreground -k 10 "$tmo" "${qemu[@]}" -serial stdio \
		-serial "file:$logdir/results.txt" | tee "$logdir/console.log"
	rc=${PIPESTATUS[0]}
	;;
*)
	set +e
	timeout -k 10 "$tmo" "${qemu[@]}" -serial "file:$logdir/console.log" \
		-serial "file:$logdir/results.txt" &
	qpid=$!
	# Live progress from the result channel.
	tail -n +1 -F --pid=$qpid "$logdir/results.txt" 2>/dev/null | tr -d '\r' |
		awk '/^MULT-TEST-END/ { printf "[vm]   %-45s %-4s %-6s %ss\n", $2, $3, ($4 == 0 ? "ok" : "rc=" $4), $5; fflush() }'
	wait $qpid
	rc=$?
	;;
esac
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "[vm] ERROR: the guest did not finish within ${tmo}s" >&2
fi
echo "[vm] the guest ran for $(($(date +%s) - started)) s"
exit 0
