#!/usr/bin/env bash
# make demo: show the patched kernel and an instance at work in a QEMU guest.
# Usage: demo.sh BUILD_DIR BZIMAGE INITRD LOGDIR
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
echo "== done. 'make check' runs every test; 'make shell' gives you the guest's shell."
