#!/usr/bin/env bash
# Build the guest's initramfs: busybox-static, the guest scripts, the test
# plan, the statically linked test programs and tools, and the module when
# there is one. Nothing else from the host's root filesystem.
# Usage: mkinitramfs.sh BUILD_DIR OUTPUT [PLAN]
# With PLAN (a plan file), only that plan and the files in the folder
# "extra" beside it go in: the small images of the pipeline's self-tests.
set -euo pipefail
build=${1:?usage: mkinitramfs.sh BUILD_DIR OUTPUT [PLAN]}
output=${2:?}
plan=${3:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
stage=$build/initramfs${plan:+-$(basename "$plan" .plan)}
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc/mult,proc,sys,dev,tmp,root,opt,usr/bin,usr/sbin,lib/modules}

cp /bin/busybox "$stage/bin/busybox"
ln -s /bin/busybox "$stage/init"
for applet in $("$stage/bin/busybox" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$top/tests/vm/guest/rc" "$stage/etc/mult/rc"
install -m 0755 "$top/tests/vm/guest/demo.sh" "$stage/etc/mult/demo.sh"
install -m 0644 "$top/tests/vm/guest/inittab" "$stage/etc/inittab"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
# The uapi headers (CLONE_NEWINST) are the same for every configuration.
khdrs=${KHDRS:-$build/kernel-debug/headers/include}
gcc -static -O2 -Wall -Werror -isystem "$khdrs" \
	"$top/tests/vm/guest/inst-run.c" -o "$stage/bin/inst-run"

if [ -n "$plan" ]; then
	cp "$plan" "$stage/etc/mult/plan"
	extra=$(dirname "$plan")/extra
	[ -d "$extra" ] && cp -a "$extra/." "$stage/"
	(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$output"
	exit 0
fi

# Test programs, stripped: the initramfs is copied into guest memory.
if [ -d "$build/kselftest-install" ]; then
	cp -a "$build/kselftest-install" "$stage/opt/kselftest"
fi
if [ -d "$build/mult-tests" ]; then
	cp -a "$build/mult-tests" "$stage/opt/mult-tests"
fi
for f in "$build"/userland-guest/bin/*; do
	[ -x "$f" ] && install -m 0755 "$f" "$stage/usr/bin/"
done
# The in-guest GoogleTests (tests/guest): run from the plan, not in PATH.
for f in "$build"/userland-guest/guest-tests/*; do
	[ -x "$f" ] && install -D -m 0755 "$f" "$stage/opt/mult-gtest/$(basename "$f")"
done
# The stress stage's programs, stress-ng and trinity (tests/stress): the
# plan runs a slice of it.
"$top/tests/stress/install.sh" "$stage" "$khdrs"
for f in "$build"/module/*.ko; do
	[ -e "$f" ] && install -m 0644 "$f" "$stage/lib/modules/"
done
find "$stage/opt" "$stage/usr/bin" -type f -perm -u+x -exec sh -c \
	'file -b "$1" | grep -q "ELF.*not stripped" && strip "$1" || true' _ {} \;

"$top/tests/vm/mkplan.sh" "$stage" >"$stage/etc/mult/plan"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$output.tmp"
mv "$output.tmp" "$output"
echo "[initramfs] $(grep -vc '^#' "$stage/etc/mult/plan") test runs planned, image $(du -h "$output" | cut -f1)"
