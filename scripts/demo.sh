#!/usr/bin/env bash
# make demo: show the patched kernel and an instance at work in a QEMU guest.
# Then, last, the ssh scenario on the systemd guest (tests/vm/systemd: a
# Debian 12 root with systemd and OpenSSH, built once with mmdebstrap and
# cached in BUILD/svc): sshd as a service instance, a user's ssh session
# that sees only sshd's tree, sshd invisible outside, `systemctl stop ssh`
# ending the session. The guest checks each of these and the demo fails
# (status 1) if one does not hold. DEMO_SSH=0 leaves the chapter out.
# Usage: demo.sh BUILD_DIR BZIMAGE INITRD LOGDIR
#   MODULE, GUEST_BIN: the module and the static tools for the systemd
#   guest (tests/vm/systemd/boot.sh; defaults under BUILD_DIR).
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR BZIMAGE INITRD LOGDIR}
bzimage=${2:?}
initrd=${3:?}
logdir=${4:?}
top=$(cd "$(dirname "$0")/.." && pwd)

echo "== mult for Linux: Linux $(cat "$build/linux/.mult-base-version") from Debian's linux-source-6.12, with the series:"
grep -v '^#' "$top/kernel/patches/series" | sed 's/^/     /'
echo "== booting it in QEMU (the guest's console follows; kernel messages are kept quiet)"
"$top/tests/vm/run-qemu.sh" "$bzimage" "$initrd" demo "$logdir" 600
if ! tr -d '\r' <"$logdir/results.txt" | grep -q '^MULT-DONE'; then
	echo "[demo] ERROR: the guest did not finish the demo; console log: $logdir/console.log" >&2
	exit 1
fi
if ! tr -d '\r' <"$logdir/results.txt" | grep -q '^DEMO-OK'; then
	echo "[demo] ERROR: the story above did not hold:" >&2
	tr -d '\r' <"$logdir/results.txt" | grep '^DEMO-FAIL' | sed 's/^DEMO-FAIL /[demo]   /' >&2
	exit 1
fi

if [ "${DEMO_SSH:-1}" != 0 ]; then
	echo
	echo "== last chapter: the ssh scenario, on a second guest with real systemd (DEMO_SSH=0 skips it)"
	echo "   Debian 12 with systemd and OpenSSH, booted on the same kernel; the root is built once"
	echo "   with mmdebstrap (a few minutes, cached in $build/svc). Under emulation systemd takes"
	echo "   about two minutes to come up, and the chapter about three more."
	rm -f "$logdir/ssh/results.txt"
	KERNEL=$bzimage "$top/tests/vm/systemd/boot.sh" "$build" "$top/tests/vm/systemd/demo.sh" demo \
		"$logdir/ssh" 1500
	results=$(tr -d '\r' <"$logdir/ssh/results.txt" 2>/dev/null || true)
	if ! grep -q '^MULT-DONE' <<<"$results"; then
		echo "[demo] ERROR: the systemd guest did not finish the ssh chapter; console log: $logdir/ssh/console.log" >&2
		exit 1
	fi
	if ! grep -q '^DEMO-OK' <<<"$results"; then
		echo "[demo] ERROR: the ssh scenario did not hold:" >&2
		grep '^DEMO-FAIL' <<<"$results" | sed 's/^DEMO-FAIL /[demo]   /' >&2
		exit 1
	fi
fi
echo "== done. 'make check' runs every test; 'make shell' gives you the guest's shell."
