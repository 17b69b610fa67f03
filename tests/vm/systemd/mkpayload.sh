#!/usr/bin/env bash
# The systemd guest's second disk: the mult tools (static guest builds), the
# management module, the test script and the units it uses. Made per run
# (small, seconds): the root image (mkroot.sh) stays cached.
# Usage: mkpayload.sh OUT_IMAGE INSTFORK INSTCTL MODULE
set -euo pipefail
out=${1:?usage: mkpayload.sh OUT_IMAGE INSTFORK INSTCTL MODULE}
here=$(cd "$(dirname "$0")" && pwd)
stage=$out.d
rm -rf "$stage" "$out"
mkdir -p "$stage"
install -m 0755 "$2" "$stage/instfork"
install -m 0755 "$3" "$stage/instctl"
strip "$stage/instfork" "$stage/instctl" 2>/dev/null || true
install -m 0644 "$4" "$stage/mult_mgmt.ko"
cp -a "$here/payload/." "$stage/"
chmod 0755 "$stage/run.sh"
mke2fs -q -t ext4 -L mult-payload -d "$stage" "$out" 64M
rm -rf "$stage"
