#!/usr/bin/env bash
# Prepare the patched Linux 6.12 source tree: unpack Debian's linux-source-6.12
# into a git repository (commit "base", tag mult-base) and apply
# kernel/patches/series on top with git am.
#
# The tree is reused between runs: it is re-patched only when the series in
# the repository differs from what was last applied (a stamp of the series'
# contents), so an unchanged series costs nothing and Kbuild stays incremental.
# When the series no longer applies (Debian moved to a newer 6.12.y), the
# build stops here: an unpatched kernel is never built silently.
#
# Usage: kernel-tree.sh [--stamp-only | --is-current] SRC_DIR
#   --stamp-only  record that SRC_DIR holds the current series (export-patches)
#   --is-current  exit 0 if SRC_DIR holds exactly the current series
set -euo pipefail

mode=
case "${1:-}" in
--stamp-only | --is-current) mode=$1; shift ;;
esac
src=${1:?usage: kernel-tree.sh [--stamp-only | --is-current] SRC_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
patches=$top/kernel/patches
tarball=/usr/src/linux-source-6.12.tar.xz
tested=$(cat "$top/kernel/TESTED_VERSION")
installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)

series_stamp() {
	# The series file and every patch it names, in order.
	(cd "$patches" && cat series && { grep -v '^\s*#' series | grep . || true; } | xargs -r cat) |
		sha256sum | cut -d' ' -f1
}

say() { printf '[kernel] %s\n' "$*"; }
die() { printf '[kernel] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "$mode" = --is-current ]; then
	[ "$(cat "$src/.mult-series" 2>/dev/null)" = "$(series_stamp)" ]
	exit
fi
[ -r "$tarball" ] || die "$tarball missing: install linux-source-6.12 (make deps)"


git_q() { git -C "$src" -c user.name=mult-build -c user.email=mult-build@localhost "$@"; }

if [ ! -d "$src/.git" ] || [ "$(cat "$src/.mult-base-version" 2>/dev/null)" != "$installed" ]; then
	say "unpacking linux-source-6.12 $installed into $src (about a minute)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	# Debian's packaging .gitignore ignores every top-level path; drop that
	# rule so files the series adds (kernel/mult.c...) show up in git status.
	sed -i '/^# Debian packaging/,$d' "$src/.gitignore"
	git_q init -q -b work
	git_q add -A
	git_q commit -q -m "Linux $installed (Debian linux-source-6.12)"
	git_q tag -f mult-base >/dev/null
	echo "$installed" >"$src/.mult-base-version"
	# Keep build bookkeeping out of the kernel tree's git status.
	printf '.mult-*\n' >>"$src/.git/info/exclude"
fi

stamp=$(series_stamp)
if [ "$mode" = --stamp-only ]; then
	echo "$stamp" >"$src/.mult-series"
	exit 0
fi
if [ "$(cat "$src/.mult-series" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

if [ "$installed" != "$tested" ]; then
	say "note: the series was last tested on $tested; this machine has $installed"
fi
mapfile -t list < <(grep -v '^\s*#' "$patches/series" | grep . || true)
say "applying ${#list[@]} patch(es) from kernel/patches/series"
git_q am --abort >/dev/null 2>&1 || true
git_q checkout -q -f -B work mult-base
for p in "${list[@]}"; do
	if ! git_q am -q --whitespace=nowarn "$patches/$p" >/dev/null 2>&1; then
		git_q am --abort >/dev/null 2>&1 || true
		git_q checkout -q -f -B work mult-base
		rm -f "$src/.mult-series"
		die "patch $p does not apply to linux-source-6.12 $installed (series last tested on $tested). Refusing to build an unpatched kernel: rebase kernel/patches on $installed."
	fi
done
echo "$stamp" >"$src/.mult-series"
