# bash completion for instfork(1)                          -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-only
#
# Options, capability names for --keep-cap and --drop-cap, directories for
# --chdir; the command after the options (or after --) completes as a
# command line of its own.

_instfork()
{
    local cur prev words cword
    _init_completion || return

    # Options that take a value, so that their value is not the command.
    local with_value='--name --chdir --env --pass-fd --keep-cap --drop-cap --pids-max'
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
        if [[ ${words[i]} != -* && " $with_value " != *" ${words[i - 1]} "* ]]; then
            _command_offset "$i"
            return
        fi
    done

    case $prev in
    --chdir)
        _filedir -d
        return ;;
    --keep-cap | --drop-cap)
        local caps='all chown dac_override dac_read_search fowner fsetid kill setgid setuid
            setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock
            ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot
            sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control
            setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon
            bpf checkpoint_restore'
        local prefix=${cur%"${cur##*,}"}
        COMPREPLY=($(compgen -W "$caps" -- "${cur##*,}"))
        COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        compopt -o nospace 2>/dev/null
        return ;;
    --name | --env | --pass-fd | --pids-max)
        return ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--name --chdir --env --clear-env --pass-fd --detach --print-id
            --keep-cap --drop-cap --pids-max --init --forking -t --tty --version --help --' -- "$cur"))
    else
        _command_offset "$cword"
    fi
} &&
    complete -F _instfork instfork

# ex: filetype=sh
