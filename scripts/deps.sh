#!/usr/bin/env bash
# Install the Debian 12 packages the project needs, once: quiet when all are
# present. Run as root, or with sudo available (only when something is
# missing). Usage: deps.sh [build|deb|kernel-deb|bench]
#   build  the userland's build dependencies only: all `make install` needs
#   deb    build, plus the Debian packaging tools (`make deb`)
#   kernel-deb  everything, plus Debian's kernel configuration (`make kernel-deb`)
#   (none) everything: kernel, QEMU guest, tests (`make check` and the rest)
#   bench  everything, plus what `make bench` plots and compares with
set -euo pipefail
packages=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio rsync
	ccache python3 gawk file linux-source-6.12
	qemu-system-x86 busybox-static mmdebstrap e2fsprogs
	cmake g++ libgtest-dev libcli11-dev nlohmann-json3-dev libfmt-dev
	python3-yaml python3-jsonschema python3-ply python3-git
	libnl-3-dev libnl-genl-3-dev libcap-dev
	stress-ng trinity
)
# make bench also plots (gnuplot) and compares with bubblewrap.
if [ "${1:-}" = bench ]; then
	packages+=(gnuplot-nox bubblewrap)
fi
# Building the tools (`make install`, the tools' Debian package): compiler,
# CMake, the header-only CLI11, nlohmann-json and fmt, and the libraries
# they link. Everything else above is for the kernel, the guest and tests.
build_packages=(
	cmake make g++ pkg-config libcli11-dev nlohmann-json3-dev libfmt-dev
	libnl-3-dev libnl-genl-3-dev libcap-dev libsmartcols-dev
)
# `make deb`: dpkg-buildpackage and debhelper; lintian checks the result,
# mmdebstrap and uidmap make the clean root the packages are tried in.
deb_packages=(dpkg-dev debhelper dh-dkms fakeroot lintian mmdebstrap uidmap)
# `make kernel-deb`: Debian's own configuration of its 6.12 kernel as the base.
kernel_deb_packages=(linux-config-6.12)
case "${1:-}" in
build) packages=("${build_packages[@]}") ;;
deb) packages=("${build_packages[@]}" "${deb_packages[@]}") ;;
kernel-deb) packages+=("${build_packages[@]}" "${kernel_deb_packages[@]}") ;;
*) packages+=("${build_packages[@]}") ;;
esac
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "[deps] installing: ${missing[*]}"
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "[deps] ERROR: need root or sudo to install ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
