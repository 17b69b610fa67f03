# bash completion for instctl(8)                           -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-only
#
# Commands, their options, column names for -o, signal names, and the
# live instances' names and ids (asked of instctl itself, which needs the
# management module and CAP_SYS_ADMIN: without them, no instance is
# offered rather than an error on the terminal).

_instctl_instances()
{
    local id name
    instctl list -o id,name -n -r 2>/dev/null | while read -r id name; do
        printf '%s\n' "$id"
        [[ $name != - ]] && printf '%s\n' "$name"
    done
}

_instctl_columns()
{
    local all=$1 prefix=${cur%"${cur##*,}"} plus=
    [[ $prefix == +* || ( -z $prefix && $cur == +* ) ]] && plus=+
    local last=${cur##*,}
    last=${last#+}
    COMPREPLY=($(compgen -W "$all" -- "${last^^}"))
    COMPREPLY=("${COMPREPLY[@]/#/${prefix:-$plus}}")
    compopt -o nospace 2>/dev/null
}

_instctl()
{
    local cur prev words cword
    _init_completion || return

    local commands='list ps kill stop exec watch info name svc'
    local list_columns='ID PARENT DEPTH NAME FIRST-PID PROCS THREADS STARTED STATUS AGE START-NS'
    local ps_columns='PID TGID PPID UID STATE COMM'
    local signals='TERM KILL HUP INT QUIT USR1 USR2 STOP CONT WINCH ALRM PIPE'

    # The command is the first word that is not a global option.
    local i cmd= cmd_at=0
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            cmd=${words[i]} cmd_at=$i
            break
        fi
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--json --version --help' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    # Operands given so far (instance, new name, unit), options aside.
    local operands=0 skip=
    for ((i = cmd_at + 1; i < cword; i++)); do
        if [[ -n $skip ]]; then skip=; continue; fi
        case ${words[i]} in
        --) break ;;
        -o | --output | -s | --signal | --timeout | --count | --chdir | -u | --user | --name | \
            --keep-cap | --drop-cap)
            skip=1 ;;
        -*) ;;
        *) ((operands++)) ;;
        esac
    done

    case $cmd in
    list | ps)
        case $prev in
        -o | --output)
            _instctl_columns "$([[ $cmd == list ]] && echo "$list_columns" || echo "$ps_columns")"
            return ;;
        esac
        if [[ $cur == -* ]]; then
            local opts='-o --output -n --noheadings -r --raw -J --tree --json --help'
            [[ $cmd == ps ]] && opts+=' --threads'
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        elif [[ $cmd == ps && $operands -eq 0 ]]; then
            COMPREPLY=($(compgen -W "$(_instctl_instances)" -- "$cur"))
        fi
        ;;
    kill | stop)
        case $prev in
        -s | --signal)
            COMPREPLY=($(compgen -W "$signals" -- "${cur^^}"))
            return ;;
        --timeout) return ;;
        esac
        if [[ $cur == -* ]]; then
            if [[ $cmd == kill ]]; then
                COMPREPLY=($(compgen -W '-s --signal --all --help' -- "$cur"))
            else
                COMPREPLY=($(compgen -W '--timeout --all --help' -- "$cur"))
            fi
        elif ((operands == 0)); then
            COMPREPLY=($(compgen -W "$(_instctl_instances)" -- "$cur"))
        fi
        ;;
    exec)
        # After the instance (and an optional --), the command and its
        # arguments complete as a command line of their own.
        local dashdash=
        for ((i = cmd_at + 1; i < cword; i++)); do
            [[ ${words[i]} == -- ]] && dashdash=$i && break
        done
        if [[ -n $dashdash ]] || ((operands >= 1)); then
            local start=${dashdash:-$cword}
            if [[ -z $dashdash ]]; then
                for ((i = cmd_at + 1; i < cword; i++)); do
                    [[ ${words[i]} != -* && ${words[i - 1]} != @(--chdir|-u|--user) ]] &&
                        start=$((i + 1)) && break
                done
            else
                start=$((dashdash + 1))
            fi
            _command_offset "$start"
            return
        fi
        case $prev in
        --chdir) _filedir -d; return ;;
        -u | --user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--chdir -u --user -l --login -t --tty --help' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_instctl_instances)" -- "$cur"))
        fi
        ;;
    watch)
        [[ $prev == --count ]] && return
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W '--count --json --help' -- "$cur"))
        ;;
    info)
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W '--json --help' -- "$cur"))
        ;;
    name)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--help' -- "$cur"))
        elif ((operands == 0)); then
            COMPREPLY=($(compgen -W "$(_instctl_instances)" -- "$cur"))
        fi
        ;;
    svc)
        local sub=${words[cmd_at + 1]}
        if ((cword == cmd_at + 1)); then
            COMPREPLY=($(compgen -W 'enable disable' -- "$cur"))
            return
        fi
        case $prev in
        --name | --keep-cap | --drop-cap) return ;;
        esac
        if [[ $cur == -* ]]; then
            if [[ $sub == enable ]]; then
                COMPREPLY=($(compgen -W '--name --keep-cap --drop-cap --no-reload --help' -- "$cur"))
            else
                COMPREPLY=($(compgen -W '--no-reload --help' -- "$cur"))
            fi
        else
            local units
            units=$(systemctl list-unit-files --type=service --no-legend 2>/dev/null |
                awk '{ print $1 }')
            COMPREPLY=($(compgen -W "$units" -- "$cur"))
        fi
        ;;
    esac
} &&
    complete -F _instctl instctl

# ex: filetype=sh
