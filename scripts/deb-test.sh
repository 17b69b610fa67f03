#!/usr/bin/env bash
# `make deb-test`: installs the packages of `make deb` into a clean Debian 12
# root made by mmdebstrap (as a user would: apt resolves their dependencies
# from the mirror) and checks there what a user sees first: `instctl
# --version`, `man instctl`, bash completing instctl, DKMS knowing the
# module's source. mmdebstrap's unshare mode needs no root (only user
# namespaces); as root without them it falls back to root mode.
# Usage: deb-test.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: deb-test.sh BUILD_DIR}
build=$(cd "$build" && pwd)
debs=$(ls "$build"/deb/mult-tools_*.deb "$build"/deb/mult-dkms_*.deb 2>/dev/null) ||
	{ echo "[deb-test] ERROR: no packages in $build/deb: run 'make deb' first" >&2; exit 1; }
debs=$(echo $debs)  # one line, for copy-in
root=$build/deb/root
log=$build/deb/root.log
mode=unshare
if ! unshare --user --map-root-user true 2>/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "[deb-test] ERROR: no user namespaces and not root: cannot make the root" >&2; exit 1; }
	mode=root
fi
rm -rf "$root"
echo "[deb-test] Debian 12 root with $(echo $debs | wc -w) packages ($mode mode, log: $log)"
# The checks run as a customize hook, inside the finished root.
# The packages go in by apt inside the finished root (apt, not mmdebstrap,
# fetches their dependencies: mmdebstrap's own --include of a local .deb
# loses the file on the way into the chroot in this version).
mmdebstrap --mode="$mode" --variant=apt --include=man-db,bash-completion \
	--customize-hook='mkdir -p "$1/tmp/mult-debs"' \
	--customize-hook="copy-in $debs /tmp/mult-debs" \
	--customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/mult-debs/*.deb"' \
	--customize-hook='chroot "$1" sh -c "
		set -e
		echo \"== instctl --version\"; instctl --version
		echo \"== instfork --version\"; instfork --version
		echo \"== man instctl\"; MANWIDTH=80 man -P cat instctl 2>/dev/null | head -12
		echo \"== man instfork\"; MANWIDTH=80 man -P cat instfork 2>/dev/null | sed -n 1,4p
		echo \"== completion files\"; ls /usr/share/bash-completion/completions/instctl \
			/usr/share/bash-completion/completions/instfork \
			/usr/share/zsh/vendor-completions/_instctl /usr/share/zsh/vendor-completions/_instfork
		echo \"== bash: complete -p instctl\"
		bash -c \". /usr/share/bash-completion/bash_completion; _completion_loader instctl; complete -p instctl\"
		echo \"== dkms status\"; dkms status
		echo \"== instctl list -o id,name -n (this kernel has no mult)\"
		instctl list -o id,name -n || echo \"(exit status \$?)\"
	"' \
	bookworm "$root" >"$log" 2>&1 || { tail -30 "$log" >&2; echo "[deb-test] ERROR: mmdebstrap failed" >&2; exit 1; }
sed -n '/^== instctl --version/,$p' "$log" | grep -v '^I: ' | sed 's/^/[deb-test] /'
