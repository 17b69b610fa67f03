#!/usr/bin/env bash
# Choose the QEMU accelerator for a guest boot, on evidence rather than on
# the presence of /dev/kvm: some hosts (a paravirtual KVM such as kvm-pvm)
# offer a writable /dev/kvm on which an ordinary guest kernel never runs a
# single instruction and prints nothing.
#
#   ACCEL=tcg   software emulation, always works
#   ACCEL=kvm   KVM, forced: no probe, no fallback (a silent guest is still
#               caught by run-qemu.sh's first-output deadline)
#   ACCEL=auto  (default) KVM if a probe boot of the kernel reaches the
#               marker below within PROBE_TIMEOUT seconds, TCG otherwise
#
# The probe's verdict is cached per machine (boot id, host kernel, QEMU
# version), so it costs a few seconds once per host boot, in
# ${MULT_ACCEL_CACHE:-~/.cache/mult/accel}.
#
# Usage: accel.sh BZIMAGE          print "ACCEL<TAB>REASON" (kvm or tcg)
#        accel.sh --qemu-args ACCEL   print QEMU's arguments for ACCEL
#        accel.sh --record ok|broken REASON   record a verdict on KVM for this
#                                        machine (run-qemu.sh: a silent guest)
#
# Test hook: MULT_VM_SIMULATE=broken-kvm makes "kvm" an accelerator that
# exists but never runs the guest (TCG with its CPUs stopped, -S), so the
# pipeline's self-tests can show the fallback on any machine.
set -euo pipefail

probe_timeout=${PROBE_TIMEOUT:-20}
# Without HOME in the environment, ~ still names the user's home directory.
cache_dir=${MULT_ACCEL_CACHE:-${XDG_CACHE_HOME:-$(cd ~ && pwd)/.cache}/mult/accel}
simulate=${MULT_VM_SIMULATE:-}
# The probe waits for the kernel to bring up its second CPU: proof that the
# accelerator runs the kernel past early boot, SMP included.
marker='smp: Brought up'

qemu_args() {
	case "$1" in
	tcg) echo "-accel tcg" ;;
	kvm)
		if [ "$simulate" = broken-kvm ]; then
			echo "-accel tcg -S"
		else
			echo "-accel kvm -cpu host"
		fi
		;;
	*) echo "accel.sh: unknown accelerator '$1'" >&2; return 1 ;;
	esac
}

kvm_present() {
	[ "$simulate" = broken-kvm ] || [ -w /dev/kvm ]
}

# One verdict per host boot: a reboot may load another KVM module.
cache_file() {
	local key
	key=$( { cat /proc/sys/kernel/random/boot_id 2>/dev/null; uname -r
		qemu-system-x86_64 --version 2>/dev/null | head -1; echo "$simulate"; } |
		sha256sum | cut -c1-16)
	echo "$cache_dir/kvm-$key"
}

# probe BZIMAGE: boot it under KVM without an initramfs and wait for the
# marker; the kernel is stopped as soon as it appears.
probe_kvm() {
	local kernel=$1 log qpid waited=0 ticks=$((probe_timeout * 5))
	log=$(mktemp)
	# shellcheck disable=SC2046
	qemu-system-x86_64 $(qemu_args kvm) -m 512M -smp 2 -no-reboot \
		-kernel "$kernel" -append "console=ttyS0 panic=-1 loglevel=6" \
		-display none -monitor none -nic none -serial "file:$log" </dev/null >/dev/null 2>&1 &
	qpid=$!
	while [ $waited -lt $ticks ] && kill -0 $qpid 2>/dev/null; do
		grep -q "$marker" "$log" 2>/dev/null && break
		sleep 0.2
		waited=$((waited + 1))
	done
	kill -9 $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	if grep -q "$marker" "$log"; then
		echo "ok KVM probe boot reached '$marker' in about $((waited / 5)) s"
	elif [ -s "$log" ]; then
		echo "broken KVM probe boot printed output but did not reach '$marker' within ${probe_timeout} s"
	else
		echo "broken KVM probe boot printed nothing within ${probe_timeout} s"
	fi
	rm -f "$log"
}

case "${1:-}" in
--qemu-args)
	qemu_args "${2:?usage: accel.sh --qemu-args ACCEL}"
	exit
	;;
--record)
	case "${2:-}" in ok | broken) ;; *) echo "usage: accel.sh --record ok|broken REASON" >&2; exit 2 ;; esac
	mkdir -p "$cache_dir"
	printf '%s %s\nrecorded %s\n' "$2" "${3:?usage: accel.sh --record ok|broken REASON}" "$(date -u +%FT%TZ)" >"$(cache_file)"
	exit 0
	;;
'' | -*)
	echo "usage: accel.sh BZIMAGE | --qemu-args ACCEL | --record ok|broken REASON" >&2
	exit 2
	;;
esac
kernel=$1

case "${ACCEL:-auto}" in
tcg) printf 'tcg\tACCEL=tcg\n' ;;
kvm)
	kvm_present || { echo "accel.sh: ACCEL=kvm but /dev/kvm is missing or not writable" >&2; exit 1; }
	printf 'kvm\tACCEL=kvm (forced: no probe, no fallback)\n'
	;;
auto)
	if ! kvm_present; then
		printf 'tcg\tauto: no writable /dev/kvm\n'
		exit 0
	fi
	cache=$(cache_file)
	if [ -s "$cache" ]; then
		verdict=$(head -1 "$cache")
		how="cached verdict for this host boot ($(sed -n 2p "$cache")), $cache"
	else
		echo "[vm] probing KVM: booting the kernel for up to ${probe_timeout} s (once per host boot)" >&2
		verdict=$(probe_kvm "$kernel")
		mkdir -p "$cache_dir"
		printf '%s\nprobed %s\n' "$verdict" "$(date -u +%FT%TZ)" >"$cache"
		how="probed now, cached in $cache"
	fi
	case "$verdict" in
	ok*) printf 'kvm\tauto: %s; %s\n' "${verdict#ok }" "$how" ;;
	*) printf 'tcg\tauto: %s, so TCG; %s\n' "${verdict#broken }" "$how" ;;
	esac
	;;
*)
	echo "accel.sh: ACCEL must be kvm, tcg or auto, not '${ACCEL}'" >&2
	exit 2
	;;
esac
