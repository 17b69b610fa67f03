#!/usr/bin/env bash
# Export the kernel work tree's commits on top of mult-base as the patch
# series in kernel/patches/ (the series' source of truth once committed).
# Usage: export-patches.sh SRC_DIR
set -euo pipefail
src=${1:?usage: export-patches.sh SRC_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/kernel/patches

if [ -n "$(git -C "$src" status --porcelain)" ]; then
	echo "[kernel] ERROR: $src has uncommitted changes; commit them first" >&2
	exit 1
fi
rm -f "$out"/*.patch
git -C "$src" format-patch -q --no-signature --zero-commit --no-numbered \
	-o "$out" mult-base..HEAD
# A blank context line is a lone space in the diff: a reader (or
# checkpatch.pl given the file's path) sees trailing whitespace. git am
# takes an empty line as that context line, so write it empty.
sed -i 's/^ $//' "$out"/*.patch
{
	echo "# Patch series against Linux 6.12 (Debian linux-source-6.12), applied in order."
	echo "# Last tested on $(cat "$top/kernel/TESTED_VERSION"). Regenerate with 'make export-patches'."
	(cd "$out" && ls -1 ./*.patch | sed 's|^\./||')
} >"$out/series"
# The tree already holds exactly this series: record it so the next build
# does not re-apply it (and touch every patched file).
"$top/scripts/kernel-tree.sh" --stamp-only "$src"
echo "[kernel] exported $(grep -vc '^#' "$out/series") patch(es) to kernel/patches"
