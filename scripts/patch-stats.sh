#!/usr/bin/env bash
# Lines the kernel patch series adds and removes, per file and in total,
# split into kernel code and the rest (Documentation, selftests).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cat "$top"/kernel/patches/*.patch | gawk '
	/^From [0-9a-f]+ / { file = ""; next }	# next patch: its message is not code
	/^diff --git/ { file = $4; sub(/^b\//, "", file); next }
	file == "" || /^\+\+\+ |^--- / { next }
	/^\+/ { add[file]++; next }
	/^-/ { del[file]++; next }
	END {
		for (f in add) files[f] = 1
		for (f in del) files[f] = 1
		n = asorti(files, sorted)
		printf "%-40s %6s %6s\n", "file", "added", "removed"
		for (i = 1; i <= n; i++) {
			f = sorted[i]
			printf "%-40s %6d %6d\n", f, add[f], del[f]
			code = (f !~ /^(Documentation|tools\/testing)\//)
			if (code) { ca += add[f]; cd += del[f] } else { oa += add[f]; od += del[f] }
		}
		printf "%-40s %6d %6d\n", "kernel code total", ca, cd
		printf "%-40s %6d %6d\n", "documentation and tests", oa, od
		printf "kernel code lines changed (added + removed): %d\n", ca + cd
	}'
