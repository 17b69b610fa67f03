#!/usr/bin/env bash
# make check: the guest run (mult selftests, the kernel regression suites in
# the root instance and inside an instance, debug kernel), the pipeline's
# self-tests, the host tests, the systemd guest (services as instances,
# tests/vm/systemd), then one closing line with the totals. Exits
# non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-$top/build}
logs=$build/logs
start=$(date +%s)
vm=$logs/check/summary.txt
pipe=$logs/pipeline/summary.txt
host=$logs/host/summary.txt
sysd=$logs/systemd/summary.txt
rm -f "$vm" "$pipe" "$host" "$sysd"

make -s check-vm
vm_rc=$?
make -s check-pipeline
pipe_rc=$?
make -s check-host
host_rc=$?
make -s check-systemd
sysd_rc=$?

# count STAGE FIELD FILE: field 1, 2 or 3 of the stage's closing line.
count() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\\$2/p" "$3" 2>/dev/null | tail -1; }
num() { local v; v=$(count "$@"); echo "${v:-0}"; }
p=$(( $(num vm 1 "$vm") + $(num pipeline 1 "$pipe") + $(num host 1 "$host") + $(num systemd 1 "$sysd") ))
f=$(( $(num vm 2 "$vm") + $(num pipeline 2 "$pipe") + $(num host 2 "$host") + $(num systemd 2 "$sysd") ))
s=$(( $(num vm 3 "$vm") + $(num pipeline 3 "$pipe") + $(num host 3 "$host") + $(num systemd 3 "$sysd") ))
# A stage that failed without a summary (build error, no guest) is a failure too.
if [ $vm_rc != 0 ] && [ "$(num vm 2 "$vm")" = 0 ]; then f=$((f + 1)); fi
if [ $pipe_rc != 0 ] && [ "$(num pipeline 2 "$pipe")" = 0 ]; then f=$((f + 1)); fi
if [ $host_rc != 0 ] && [ "$(num host 2 "$host")" = 0 ]; then f=$((f + 1)); fi
if [ $sysd_rc != 0 ] && [ "$(num systemd 2 "$sysd")" = 0 ]; then f=$((f + 1)); fi
echo "[check] finished in $(( $(date +%s) - start )) s; logs in $logs"
echo "check: $p passed, $f failed, $s skipped"
[ $vm_rc = 0 ] && [ $pipe_rc = 0 ] && [ $host_rc = 0 ] && [ $sysd_rc = 0 ] && [ $f = 0 ]
