#!/usr/bin/env bash
# `make deb`: the Debian packages mult-tools and mult-dkms, built with
# dpkg-buildpackage from debian/ in a copy of the checkout's tracked files
# (so the checkout gets no obj-*/ or debian/<package>/ trees), then checked
# with lintian. The .deb files end up in BUILD_DIR/deb.
# Usage: make-deb.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: make-deb.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build" && build=$(cd "$build" && pwd)
out=$build/deb
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/mult-$version
rm -rf "$out" && mkdir -p "$src"
# The files git knows or would (not ignored ones such as build/), as they
# are in the work tree (uncommitted edits
# included, as when dpkg-buildpackage runs in a checkout).
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp -a --parents -t "$src")
echo "[deb] building mult $version (log: $out/build.log)"
(cd "$src" && dpkg-buildpackage -b -us -uc -j"${JOBS:-2}") >"$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; echo "[deb] ERROR: dpkg-buildpackage failed" >&2; exit 1; }
ls "$out"/*.deb | sed 's/^/[deb] /'
# Lintian's tags, each either fixed or overridden with its reason in
# debian/*.lintian-overrides.
changes=$(ls "$out"/mult_"${version}"_*.changes)
if command -v lintian >/dev/null; then
	lintian --info --display-info "$changes" | tee "$out/lintian.log" | sed 's/^/[deb] lintian: /'
	if grep -qE '^[EW]:' "$out/lintian.log"; then
		echo "[deb] ERROR: lintian errors or warnings (above)" >&2
		exit 1
	fi
fi
