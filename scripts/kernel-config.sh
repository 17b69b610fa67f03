#!/usr/bin/env bash
# Configure a kernel build directory from tinyconfig plus fragments, and check
# that every symbol a fragment asks for made it into the final .config
# (Kconfig silently drops a value whose dependencies are unmet; a test kernel
# without KASAN or lockdep must not pass for a debug kernel).
#
# The .config is rewritten only when the fragments change, so that an
# unchanged configuration never triggers a full rebuild.
#
# Usage: kernel-config.sh SRC_DIR OUT_DIR FRAGMENT...
set -euo pipefail

src=$(cd "${1:?usage: kernel-config.sh SRC OUT FRAGMENT...}" && pwd)
out=${2:?}
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)

stamp=$( (cat "$@"; cat "$src/.mult-series" 2>/dev/null || true) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.config" ] && [ "$(cat "$out/.mult-config" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

printf '[kernel] configuring %s from tinyconfig + %s\n' "$(basename "$out")" "$(for f in "$@"; do basename "$f"; done | paste -sd+)"
[ -f "$out/.config" ] && cp -p "$out/.config" "$out/.config.mult-prev"
make -s -C "$src" O="$out" tinyconfig >/dev/null
cat "$@" >"$out/mult-fragments.config"
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$out/mult-fragments.config" >"$out/merge_config.log" 2>&1
make -s -C "$src" O="$out" olddefconfig >/dev/null

missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		sym=${line%%=*}
		if grep -q "^$sym=" "$out/.config"; then
			echo "[kernel] ERROR: $sym should be off but is $(grep "^$sym=" "$out/.config")" >&2
			missing=1
		fi
		;;
	CONFIG_*=*)
		if ! grep -qx "$line" "$out/.config"; then
			echo "[kernel] ERROR: $line requested but the config has: $(grep "^${line%%=*}=" "$out/.config" || echo 'not set')" >&2
			missing=1
		fi
		;;
	esac
done < <(grep -h '^CONFIG_' "$@")
if [ "$missing" != 0 ]; then
	echo "[kernel] ERROR: fragments not honoured (dependencies unmet); see $out/merge_config.log" >&2
	exit 1
fi
# An unchanged result keeps the old file and its mtime: nothing to rebuild.
if [ -f "$out/.config.mult-prev" ] && cmp -s "$out/.config" "$out/.config.mult-prev"; then
	cp -p "$out/.config.mult-prev" "$out/.config"
fi
rm -f "$out/.config.mult-prev"
echo "$stamp" >"$out/.mult-config"
