#!/usr/bin/env bash
# make check-systemd: boot the debug kernel on a Debian 12 root with real
# systemd and OpenSSH, run the service-instance tests (payload/run.sh) and
# judge them with tests/vm/summarize.py, whose closing line is printed as
# 'systemd: N passed, M failed, K skipped'.
#
# boot.sh builds the root (once), the payload disk and boots the guest; the
# kernel is copied into LOGDIR first: a kernel rebuild started meanwhile
# cannot swap it under the running guest.
# Usage: check.sh BUILD_DIR LOGDIR [TIMEOUT_SECONDS]
#   KERNEL, MODULE, GUEST_BIN: see boot.sh.
set -euo pipefail
build=${1:?usage: check.sh BUILD_DIR LOGDIR [TIMEOUT]}
logdir=${2:?}
tmo=${3:-1500}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
mkdir -p "$logdir"
"$here/boot.sh" "$build" "$here/payload/run.sh" check "$logdir" "$tmo" ||
	{ echo "systemd: 0 passed, 1 failed, 0 skipped"; exit 1; }
set +e
"$top/tests/vm/summarize.py" "$logdir" "$top/tests/vm/xfail.txt" | sed 's/^vm: /systemd: /' |
	tee "$logdir/summary.txt"
exit "${PIPESTATUS[0]}"
