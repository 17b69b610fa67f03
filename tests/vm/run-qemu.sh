#!/usr/bin/env bash
# Boot the guest under QEMU on an accelerator proven to work (tests/vm/accel.sh:
# ACCEL=auto|kvm|tcg). The console goes to LOGDIR/console.log (and, from the
# guest's first line on, to the terminal in demo mode); results come back on
# a second serial port into LOGDIR/results.txt.
#
# panic_on_warn turns a WARN into a panic, panic=-1 and -no-reboot turn a
# panic into the end of QEMU; a hard timeout bounds the whole run. A guest
# whose kernel has not printed its banner within FIRST_OUTPUT seconds (20
# under KVM, 90 under TCG; FIRST_OUTPUT_KVM, FIRST_OUTPUT_TCG set one) is
# stopped at once and reported as silent, naming the accelerator; if that
# accelerator was KVM chosen by ACCEL=auto, the verdict is recorded and the
# boot is retried under TCG.
#
# LOGDIR/vm.txt records what happened, for tests/vm/summarize.py:
#   accel=ACCEL cpus=N reason=...   (one line per attempt)
#   outcome=finished|timeout|silent seconds=N [first_output=N]
#
# Usage: run-qemu.sh BZIMAGE INITRD MODE LOGDIR TIMEOUT_SECONDS
#   MODE: check (run the plan), demo, shell; TIMEOUT 0 means none (shell).
#   VM_CPUS (default 2): the guest's CPUs; the guest's plan fails if it
#   brings up fewer. VM_MEM (default 2G): its memory.
#   Disk-root guests (tests/vm/systemd): INITRD "none" boots without one;
#   VM_DISKS lists raw images, one virtio disk each (vda, vdb, ...), an
#   IMAGE:snapshot one left unchanged (QEMU's snapshot=on); VM_APPEND adds
#   kernel arguments. Unset, nothing changes for the busybox guests.
set -euo pipefail
kernel=${1:?usage: run-qemu.sh BZIMAGE INITRD MODE LOGDIR TIMEOUT}
initrd=${2:?}
mode=${3:?}
logdir=${4:?}
tmo=${5:?}
here=$(cd "$(dirname "$0")" && pwd)
cpus=${VM_CPUS:-2}
mkdir -p "$logdir"
: >"$logdir/vm.txt"

choice=$("$here/accel.sh" "$kernel") || exit 1
accel=${choice%%$'\t'*}
why=${choice#*$'\t'}

append="console=ttyS0 panic_on_warn=1 panic=-1 oops=panic softlockup_panic=1 mult.mode=$mode mult.cpus=$cpus"
# A shell is for people: only warnings and worse reach its console. The demo
# keeps the whole boot log in console.log and shows the guest's own lines.
[ "$mode" = shell ] && append="$append loglevel=4"
[ -n "${VM_APPEND:-}" ] && append="$append $VM_APPEND"
extra=()
[ "$initrd" = none ] || extra+=(-initrd "$initrd")
for disk in ${VM_DISKS:-}; do
	case "$disk" in
	*:snapshot) extra+=(-drive "file=${disk%:snapshot},format=raw,if=virtio,snapshot=on") ;;
	*) extra+=(-drive "file=$disk,format=raw,if=virtio") ;;
	esac
done

# boot ACCEL: one attempt; sets outcome (finished, timeout or silent).
boot() {
	local accel=$1 qpid wpid rc started
	# shellcheck disable=SC2207
	local qemu=(qemu-system-x86_64 $("$here/accel.sh" --qemu-args "$accel") -m "${VM_MEM:-2G}" -smp "$cpus" -no-reboot
		-kernel "$kernel" "${extra[@]}" -append "$append"
		-display none -monitor none -nic none)
	rm -f "$logdir/console.log" "$logdir/.silent"
	: >"$logdir/results.txt"
	echo "accel=$accel cpus=$cpus reason=$why" >>"$logdir/vm.txt"
	echo "[vm] booting $(basename "$kernel") in QEMU on $accel ($why), $cpus CPUs, mode $mode$([ "$tmo" = 0 ] || echo ", timeout ${tmo}s")"
	started=$(date +%s)
	if [ "$mode" = shell ]; then
		exec "${qemu[@]}" -serial mon:stdio -serial "file:$logdir/results.txt"
	fi

	set +e
	timeout -k 10 "$tmo" "${qemu[@]}" -serial "file:$logdir/console.log" \
		-serial "file:$logdir/results.txt" </dev/null &
	qpid=$!
	# The kernel banner is the first line printk sends to the console; a
	# guest that has not printed it by the deadline is not running at all.
	# FIRST_OUTPUT_KVM / FIRST_OUTPUT_TCG override one accelerator's
	# deadline (the pipeline's self-tests shorten KVM's only: a TCG boot on a
	# busy machine may need tens of seconds), FIRST_OUTPUT both.
	if [ "$accel" = kvm ]; then
		first_deadline=${FIRST_OUTPUT:-${FIRST_OUTPUT_KVM:-20}}
	else
		first_deadline=${FIRST_OUTPUT:-${FIRST_OUTPUT_TCG:-90}}
	fi
	(
		while kill -0 $qpid 2>/dev/null; do
			if grep -q 'Linux version' "$logdir/console.log" 2>/dev/null; then
				echo "first_output=$(($(date +%s) - started))" >"$logdir/.spoke"
				exit 0
			fi
			if [ $(($(date +%s) - started)) -ge "$first_deadline" ]; then
				: >"$logdir/.silent"
				kill $qpid
				exit 0
			fi
			sleep 1
		done
	) &
	wpid=$!
	case "$mode" in
	demo)
		# The story starts at the guest's first line; the boot log stays in
		# console.log.
		tail -n +1 -F --pid=$qpid "$logdir/console.log" 2>/dev/null | tr -d '\r' |
			awk '/^\[guest\] up/ { show = 1 } show { print; fflush() }'
		;;
	*)
		# Live progress from the result channel.
		tail -n +1 -F --pid=$qpid "$logdir/results.txt" 2>/dev/null | tr -d '\r' |
			awk '/^MULT-TEST-END/ { printf "[vm]   %-45s %-4s %-6s %ss\n", $2, $3, ($4 == 0 ? "ok" : "rc=" $4), $5; fflush() }'
		;;
	esac
	wait $qpid
	rc=$?
	wait $wpid
	set -e
	secs=$(($(date +%s) - started))
	if [ -f "$logdir/.silent" ]; then
		outcome=silent
		echo "[vm] ERROR: the guest printed nothing within $first_deadline s on $accel: its kernel never ran (console: $logdir/console.log)" >&2
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		outcome=timeout
		echo "[vm] ERROR: the guest did not finish within ${tmo}s on $accel" >&2
	else
		outcome=finished
	fi
	echo "outcome=$outcome seconds=$secs $(cat "$logdir/.spoke" 2>/dev/null)" >>"$logdir/vm.txt"
	rm -f "$logdir/.spoke" "$logdir/.silent"
	echo "[vm] the guest ran for $secs s"
}

boot "$accel"
if [ "$outcome" = silent ] && [ "$accel" = kvm ] && [ "${ACCEL:-auto}" = auto ]; then
	"$here/accel.sh" --record broken "a guest under KVM printed nothing within $first_deadline s"
	why="auto: KVM was chosen but the guest printed nothing, so TCG (verdict recorded)"
	echo "[vm] falling back to TCG: KVM ran no guest on this machine"
	boot tcg
fi
exit 0
