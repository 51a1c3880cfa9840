# bash completion for procmon(1): the commands, their options, signal names,
# and the names of the processes of the running procmon (from `procmon
# status`, through the socket that -s or -c on the line names).

_procmon_names()
{
    # $1: the words of -s PATH / -c FILE given on the line, if any.
    procmon $1 status 2>/dev/null | awk '{ print $1 }'
}

_procmon()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="run status start stop restart signal add remove tail reload reopen shutdown check-config help"
    local i cmd= where=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -s|--socket|-c|--config) where+=" ${COMP_WORDS[i]} ${COMP_WORDS[i+1]}"; ((i++)) ;;
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
    -s|--socket|-c|--config|--log-file|--cwd)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
    --group) COMPREPLY=($(compgen -g -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W "info debug" -- "$cur")); return ;;
    esac
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands -s --socket -c --config --version --help" -- "$cur"))
        return
    fi
    case $cmd in
    run)
        COMPREPLY=($(compgen -W "-c --config -s --socket --threshold --kill-time --min-restart-delay
            --max-restart-delay --log-format --log-file --log-level --exit-on-fatal --exit-when-all-exited
            --name --exit-with-child --forward-signals --no-forward-signals --user --group --cwd --env
            --clear-env --" -- "$cur")) ;;
    check-config) COMPREPLY=($(compgen -W "-c --config" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    status) COMPREPLY=($(compgen -W "--json $(_procmon_names "$where")" -- "$cur")) ;;
    start|stop|restart) COMPREPLY=($(compgen -W "all $(_procmon_names "$where")" -- "$cur")) ;;
    remove) COMPREPLY=($(compgen -W "$(_procmon_names "$where")" -- "$cur")) ;;
    tail) COMPREPLY=($(compgen -W "-n -f $(_procmon_names "$where")" -- "$cur")) ;;
    signal)
        if [[ $prev == signal ]]; then
            COMPREPLY=($(compgen -W "HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP WINCH" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "all $(_procmon_names "$where")" -- "$cur"))
        fi ;;
    add) [[ $prev == add ]] || COMPREPLY=($(compgen -W "--user --group --cwd --env --clear-env --" -- "$cur")) ;;
    esac
}
complete -o default -F _procmon procmon
