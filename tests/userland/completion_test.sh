#!/usr/bin/env bash
# The bash and zsh completions of instfork and instctl: they parse, they
# offer what the tools take (every option the tools' --help lists is
# offered, so the two cannot drift apart), and bash completes commands,
# options, column lists, signals and the command after instfork's options.
# Usage: completion_test.sh SOURCE_DIR INSTFORK INSTCTL
set -uo pipefail
src=${1:?} instfork=${2:?} instctl=${3:?}
dir=$src/userland/completion
failed=0 passed=0
check() { # NAME CONDITION...
	local name=$1; shift
	if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name" >&2; failed=$((failed + 1)); fi
}

check "bash syntax" bash -n "$dir/instctl.bash"
check "bash syntax" bash -n "$dir/instfork.bash"
if command -v zsh >/dev/null; then
	check "zsh syntax" zsh -n "$dir/_instctl"
	check "zsh syntax" zsh -n "$dir/_instfork"
fi

# Every long option of the help texts is in both completions.
options_of() { "$@" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' | sort -u; }
for opt in $(options_of "$instfork"); do
	check "instfork.bash offers $opt" grep -q -- "$opt\b" "$dir/instfork.bash"
	check "_instfork offers $opt" grep -q -- "$opt\b" "$dir/_instfork"
done
for cmd in list ps kill stop exec watch info name; do
	for opt in $(options_of "$instctl" "$cmd"); do
		check "instctl.bash offers $cmd $opt" grep -q -- "$opt\b" "$dir/instctl.bash"
		check "_instctl offers $cmd $opt" grep -q -- "$opt\b" "$dir/_instctl"
	done
done

# bash: what a TAB offers, with bash-completion's helpers when installed.
complete_line() { # completes the words of $1 (the last may be empty); prints COMPREPLY
	bash -c '
		[ -f /usr/share/bash-completion/bash_completion ] || exit 77
		. /usr/share/bash-completion/bash_completion
		. "$1"; . "$2"
		read -ra COMP_WORDS <<<"$3"
		[[ $3 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$3 COMP_POINT=${#3}
		"$4"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$dir/instctl.bash" "$dir/instfork.bash" "$1" "$2" 2>/dev/null
}
if [ -f /usr/share/bash-completion/bash_completion ]; then
	out=$(complete_line "instctl " _instctl)
	check "instctl commands" grep -qx list <<<"$out"
	check "instctl commands" grep -qx exec <<<"$out"
	out=$(complete_line "instctl list --t" _instctl)
	check "instctl list --tree" test "$out" = --tree
	out=$(complete_line "instctl list -o id,na" _instctl)
	check "instctl list -o id,NAME" test "$out" = id,NAME
	out=$(complete_line "instctl ps -o pi" _instctl)
	check "instctl ps -o PID" test "$out" = PID
	out=$(complete_line "instctl kill -s KI" _instctl)
	check "instctl kill -s KILL" test "$out" = KILL
	out=$(complete_line "instctl exec -u roo" _instctl)
	check "instctl exec -u root" grep -qx root <<<"$out"
	out=$(complete_line "instfork --keep-cap net_raw,sys_ad" _instfork)
	check "instfork --keep-cap list" test "$out" = net_raw,sys_admin
	out=$(complete_line "instfork --pr" _instfork)
	check "instfork --print-id" test "$out" = --print-id
	# After the options, the command is completed as a command.
	out=$(complete_line "instfork --name web -- bas" _instfork)
	check "instfork -- command" grep -qx bash <<<"$out"
	out=$(complete_line "instfork --chdir /tmp ech" _instfork)
	check "instfork command without --" grep -qx echo <<<"$out"
else
	echo "bash-completion is not installed: the completion behaviour is not checked"
fi
echo "completion: $passed passed, $failed failed"
[ "$failed" = 0 ]
