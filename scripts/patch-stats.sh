#!/usr/bin/env bash
# Lines the kernel patch series adds and removes, per file and per patch,
# split into kernel code and the rest (MAINTAINERS, Documentation,
# selftests), and the code lines without comments and blank lines.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/kernel/patches"
gawk '
	FNR == 1 { patch = FILENAME; file = "" }
	/^diff --git/ { file = $4; sub(/^b\//, "", file); next }
	file == "" || /^\+\+\+ |^--- / { next }
	/^[+-]/ {
		code = (file !~ /^(Documentation|tools\/testing)\// && file != "MAINTAINERS")
		if (/^\+/) {
			add[file]++
			if (code) { pa[patch]++; ca++ } else oa++
			line = substr($0, 2)
			if (code && line !~ /^[ \t]*$/ && line !~ /^[ \t]*(\/\*|\*|\/\/)/) sloc++
		} else {
			del[file]++
			if (code) { pd[patch]++; cd++ } else od++
		}
	}
	END {
		printf "%-44s %6s %6s\n", "file", "added", "removed"
		for (f in add) files[f] = 1
		for (f in del) files[f] = 1
		n = asorti(files, sorted)
		for (i = 1; i <= n; i++)
			printf "%-44s %6d %6d\n", sorted[i], add[sorted[i]], del[sorted[i]]
		print ""
		printf "%-60s %6s %6s\n", "patch (kernel code only)", "added", "removed"
		n = asorti(pa, ps)
		for (i = 1; i <= n; i++)
			printf "%-60s %6d %6d\n", ps[i], pa[ps[i]], pd[ps[i]]
		print ""
		printf "kernel code: %d lines added, %d removed\n", ca, cd
		printf "kernel code without comments and blank lines: %d lines added\n", sloc
		printf "not code (MAINTAINERS, Documentation, selftests): %d added, %d removed\n", oa, od
	}' $(grep -v '^#' series)

# Per-patch sums count a line twice when a later patch changes it. The
# series as a whole needs the patched tree: build/linux, if it holds exactly
# this series (its stamp, see kernel-tree.sh).
src=$top/build/linux
if "$top/scripts/kernel-tree.sh" --is-current "$src"; then
	echo
	echo "series as a whole (mult-base to the last patch), kernel code:"
	git -C "$src" diff --shortstat mult-base HEAD -- . ':!MAINTAINERS' ':!Documentation' ':!tools/testing'
	git -C "$src" diff mult-base HEAD -- . ':!MAINTAINERS' ':!Documentation' ':!tools/testing' |
		gawk '/^\+\+\+/ { next } /^\+/ { l = substr($0, 2); if (l !~ /^[ \t]*$/ && l !~ /^[ \t]*(\/\*|\*|\/\/)/) n++ }
		      END { printf " without comments and blank lines: %d lines added\n", n }'
else
	echo
	echo "series as a whole: needs build/linux with this series applied (make kernel)"
fi
