#!/usr/bin/env bash
# Host tests: the userland's GoogleTest suites through ctest. Writes a closing
# line 'host: N passed, N failed, N skipped' to LOGDIR/summary.txt.
# Usage: check-host.sh BUILD_DIR LOGDIR
set -uo pipefail
build=${1:?usage: check-host.sh BUILD_DIR LOGDIR}
logdir=${2:?}
mkdir -p "$logdir"
dir=$build/userland-host
if [ ! -f "$dir/CTestTestfile.cmake" ]; then
	echo "[host] ERROR: no host test build in $dir" >&2
	echo "host: 0 passed, 1 failed, 0 skipped" | tee "$logdir/summary.txt"
	exit 1
fi
echo "[host] running the host tests (ctest)"
ctest --test-dir "$dir" --output-on-failure --output-junit "$logdir/junit.xml" -j"${JOBS:-2}" >"$logdir/ctest.log" 2>&1
rc=$?
grep -E 'tests passed|\*\*\*Failed|Failed  |\*\*\*Skipped' "$logdir/ctest.log" | sed 's/^/[host]   /'
python3 - "$logdir/junit.xml" <<'PY' | tee "$logdir/summary.txt"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) + int(s.get("disabled", 0)) for s in suites)
print(f"host: {total - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
if [ $rc != 0 ]; then
	echo "[host] ctest failed; full output: $logdir/ctest.log" >&2
fi
exit $rc
