#!/usr/bin/env bash
# Put the stress stage into a guest image staging directory: the stress
# programs (built here, static), the guest script, and stress-ng and trinity
# from the host (Debian's packages, scripts/deps.sh) with the shared
# libraries they load. Called by tests/vm/mkinitramfs.sh (the slice in
# make check) and scripts/stress.sh (make stress).
# Usage: install.sh STAGE_DIR [KERNEL_HEADERS_INCLUDE]
set -euo pipefail
stage=${1:?usage: install.sh STAGE_DIR [KERNEL_HEADERS_INCLUDE]}
khdrs=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$stage/opt/mult-stress" "$stage/usr/bin"
cflags=(-static -O2 -Wall -Wextra -Werror)
[ -n "$khdrs" ] && [ -d "$khdrs" ] && cflags+=(-isystem "$khdrs")
gcc "${cflags[@]}" "$here/mult_stress.c" -o "$stage/opt/mult-stress/mult_stress"
gcc "${cflags[@]}" "$here/mult_churn.c" -o "$stage/usr/bin/mult_churn"
gcc "${cflags[@]}" "$here/mult_nlfuzz.c" -o "$stage/usr/bin/mult_nlfuzz"
install -m 0755 "$here/stress.sh" "$stage/opt/mult-stress/stress.sh"

# The tools nobody here wrote, dynamically linked as Debian ships them:
# the binaries, every library ldd names, and the loader.
for tool in stress-ng trinity; do
	bin=$(command -v "$tool" || true)
	if [ -z "$bin" ]; then
		echo "[stress] ERROR: $tool is not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
	install -m 0755 "$bin" "$stage/usr/bin/$tool"
	ldd "$bin" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | while read -r lib; do
		[ -e "$lib" ] || continue
		dest=$stage$lib
		[ -e "$dest" ] && continue
		mkdir -p "$(dirname "$dest")"
		cp -L "$lib" "$dest"
	done
done
# /lib64/ld-linux-x86-64.so.2 is what the binaries name as their interpreter.
if [ ! -e "$stage/lib64/ld-linux-x86-64.so.2" ]; then
	mkdir -p "$stage/lib64"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
fi
strip "$stage/opt/mult-stress/mult_stress" "$stage/usr/bin/mult_churn" "$stage/usr/bin/mult_nlfuzz"
