#!/usr/bin/env bash
# The systemd guest's second disk: the mult tools (static guest builds), the
# management module, the test script and the units it uses. Made per run
# (small, seconds): the root image (mkroot.sh) stays cached.
# mult-test.service runs the disk's run.sh: payload/run.sh (the tests), or
# SCRIPT when given (make demo's ssh chapter, demo.sh).
# Usage: mkpayload.sh OUT_IMAGE INSTFORK INSTCTL MODULE [SCRIPT]
set -euo pipefail
out=${1:?usage: mkpayload.sh OUT_IMAGE INSTFORK INSTCTL MODULE [SCRIPT]}
here=$(cd "$(dirname "$0")" && pwd)
stage=$out.d
rm -rf "$stage" "$out"
mkdir -p "$stage"
install -m 0755 "$2" "$stage/instfork"
install -m 0755 "$3" "$stage/instctl"
strip "$stage/instfork" "$stage/instctl" 2>/dev/null || true
install -m 0644 "$4" "$stage/mult_mgmt.ko"
cp -a "$here/payload/." "$stage/"
[ -z "${5:-}" ] || cp "$5" "$stage/run.sh"
chmod 0755 "$stage/run.sh"
# Made first: mke2fs would say "Creating regular file".
truncate -s 64M "$out"
mke2fs -q -t ext4 -L mult-payload -d "$stage" "$out"
rm -rf "$stage"
