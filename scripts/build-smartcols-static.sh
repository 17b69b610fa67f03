#!/usr/bin/env bash
# libsmartcols.a for the static guest build of instctl. Debian's
# libsmartcols-dev ships only the shared library, so the archive is built
# here from Debian's own util-linux source package, of the version the
# system has (the headers in /usr/include match it): fetched with
# `apt-get source` through a private apt state (a deb-src entry for the
# system's Debian mirror, no change to /etc/apt), configured for libsmartcols
# alone and installed under BUILD_DIR/smartcols-static. Quiet when done before.
# Usage: build-smartcols-static.sh BUILD_DIR   (prints the prefix)
set -euo pipefail
build=${1:?usage: build-smartcols-static.sh BUILD_DIR}
mkdir -p "$build" && build=$(cd "$build" && pwd)
prefix=$build/smartcols-static
work=$build/smartcols-src
version=$(dpkg-query -W -f='${source:Version}' libsmartcols1 2>/dev/null || true)
[ -n "$version" ] || { echo "[smartcols] ERROR: libsmartcols1 is not installed" >&2; exit 1; }
if [ -f "$prefix/lib/libsmartcols.a" ] && [ "$(cat "$prefix/version" 2>/dev/null)" = "$version" ]; then
	echo "$prefix"
	exit 0
fi
echo "[smartcols] building libsmartcols.a from util-linux $version" >&2
rm -rf "$work" "$prefix"
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/sources" "$work/dl"
# The mirror and suite of the system's own sources, as a deb-src entry.
uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
uri=${uri:-http://deb.debian.org/debian}
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
cat >"$work/apt/sources/src.sources" <<SRC
Types: deb-src
URIs: $uri
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources"
	-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
	-o APT::Sandbox::User=root -q)
apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; echo "[smartcols] ERROR: apt-get update (deb-src) failed" >&2; exit 1; }
# The signed Sources index vouches for the checksums apt verifies.
(cd "$work/dl" && apt-get "${apt_opts[@]}" source --download-only "util-linux=$version") >>"$work/apt.log" 2>&1 ||
	{ tail -5 "$work/apt.log" >&2; echo "[smartcols] ERROR: apt-get source util-linux=$version failed" >&2; exit 1; }
dpkg-source --no-check -x "$work"/dl/util-linux_*.dsc "$work/src" >>"$work/apt.log" 2>&1
cd "$work/src"
# libsmartcols alone, without NLS, as a PIC-free archive for -static.
./configure --disable-all-programs --enable-libsmartcols --disable-shared --enable-static \
	--disable-nls --without-python --without-systemd --without-udev --without-ncursesw \
	--without-tinfo --disable-asciidoc --disable-poman --disable-bash-completion \
	--prefix="$prefix" >"$work/configure.log" 2>&1 ||
	{ tail -20 "$work/configure.log" >&2; echo "[smartcols] ERROR: configure failed" >&2; exit 1; }
make -j"${JOBS:-2}" libsmartcols.la >"$work/make.log" 2>&1 &&
	make install-usrlib_execLTLIBRARIES install-nodist_smartcolsincHEADERS >>"$work/make.log" 2>&1 ||
	{ tail -20 "$work/make.log" >&2; echo "[smartcols] ERROR: build failed" >&2; exit 1; }
echo "$version" >"$prefix/version"
rm -rf "$work"
echo "$prefix"
