# awsenv for bash: add `eval "$(awsenv init bash)"` to ~/.bashrc.
#
# A prompt in steady state runs no process: the hook compares the clock (EPOCHSECONDS) with the
# moment the session enters its expiry margin, and checks that its cache file still exists.
# Only then does it ask `awsenv hook`, which updates this shell. Right before each command line
# (bash 4.4 and later) the same check runs once more, so that a prompt left open past that
# moment does not start a command with a session about to end. Both keep $? and $_, work
# under `set -u`, and registering them twice changes nothing.

# switch, mfa and clear print shell code for this shell to evaluate; the rest run as they are.
awsenv() {
    local __awsenv_word __awsenv_code
    for __awsenv_word in "$@"; do
        [[ $__awsenv_word == -* ]] || break
    done
    case ${__awsenv_word-} in
    switch | mfa | clear)
        __awsenv_code=$(AWSENV_SHELL=bash command awsenv "$@") || return
        eval "$__awsenv_code"
        ;;
    *) command awsenv "$@" ;;
    esac
}

__awsenv_hook() {
    local __awsenv_status=$? __awsenv_now=
    if [[ -n ${AWSENV_ACCOUNT-} ]]; then
        __awsenv_now=${EPOCHSECONDS-}
        if [[ -z $__awsenv_now ]]; then
            # bash before 5.0; before 4.2 there is no clock at all and the binary tells the time.
            printf -v __awsenv_now '%(%s)T' -1 2>/dev/null || __awsenv_now=
        fi
        # `--told TOKEN` once the hook has told this shell something, so that it says it once;
        # two expansions, so that the token stays one argument whatever IFS holds.
        if [[ -z $__awsenv_now ]]; then
            eval "$(command awsenv hook bash --segment ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
        elif ((__awsenv_now >= ${__awsenv_next:-0})) || [[ ! -e ${__awsenv_file-} ]]; then
            eval "$(command awsenv hook bash ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
        fi
    fi
    # After the hook, which may have cleared the account.
    if [[ -z ${AWSENV_ACCOUNT-} ]]; then
        AWSENV_PROMPT=
    elif [[ -n $__awsenv_now ]]; then
        __awsenv_segment "$__awsenv_now"
    fi
    # shellcheck disable=SC2016 # the reference, unexpanded, is what PS1 holds
    if [[ $__awsenv_opt_prompt == 1 && -z ${STARSHIP_SHELL-} && ${PS1-} != *'${AWSENV_PROMPT'* ]]; then
        # A reference, not the text: PS1 expands it once, so a name is never run as code.
        PS1='${AWSENV_PROMPT:+$AWSENV_PROMPT }'${PS1-}
    fi
    # In front of PS0 again if a later `PS0=` dropped it (see the pre-command hook below).
    if [[ -n ${__awsenv_arm-} && ${PS0-} != *"$__awsenv_arm"* ]]; then
        PS0=$__awsenv_arm${PS0-}
    fi
    return $__awsenv_status
}

# __awsenv_segment, the same for bash and zsh: shell/posix/segment.sh.
#AWSENV_SEGMENT

# readline counts every byte of PS1 as a column unless it stands between \001 and \002.
__awsenv_paint() {
    local code
    case $2 in
    green) code=32 ;;
    yellow) code=33 ;;
    red) code=31 ;;
    *)
        AWSENV_PROMPT=$1
        return
        ;;
    esac
    AWSENV_PROMPT=$'\001\e['"$code"$'m\002'"$1"$'\001\e[0m\002'
}

if [[ $__awsenv_opt_aws == 1 ]]; then
    # Like aws-session: renew the session first when it is about to end (MFA if needed).
    aws() {
        if [[ -n ${AWSENV_ACCOUNT-} ]]; then
            local now=${EPOCHSECONDS-}
            [[ -n $now ]] || printf -v now '%(%s)T' -1 2>/dev/null || now=0
            if [[ -z ${AWS_ACCESS_KEY_ID-} ]] || ((now >= ${__awsenv_exp:-0} - ${__awsenv_margin:-$__awsenv_default_margin})); then
                awsenv switch "$AWSENV_ACCOUNT" || return
            fi
        fi
        command aws "$@"
    }
fi

# First in PROMPT_COMMAND, string or array (bash 5.1+), so that what runs after it (starship,
# the user's own) sees the updated environment and the status of the user's command.
if [[ ${PROMPT_COMMAND[*]-} != *__awsenv_hook* ]]; then
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
        [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
        PROMPT_COMMAND=(__awsenv_hook "${PROMPT_COMMAND[@]}")
    else
        # shellcheck disable=SC2128,SC2178 # a string here; the array is the case above
        PROMPT_COMMAND="__awsenv_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi
fi

# The pre-command hook: the prompt's check, right before a command line runs. Due (the session
# entered its margin, or its file is gone), it asks `awsenv hook bash --before-command`, which
# may renew the session first. It returns 0 whatever happens: bash-preexec passes a failure on
# as its DEBUG trap's status, and under `shopt -s extdebug` that would skip the command.
__awsenv_preexec() {
    local __awsenv_now=${EPOCHSECONDS-}
    if [[ -n ${AWSENV_ACCOUNT-} ]]; then
        [[ -n $__awsenv_now ]] || printf -v __awsenv_now '%(%s)T' -1
        if ((__awsenv_now >= ${__awsenv_next:-0})) || [[ ! -e ${__awsenv_file-} ]]; then
            eval "$(command awsenv hook bash --before-command ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
        fi
    fi
    return 0
}

# bash has no preexec of its own. With bash-preexec loaded, the hook is one of its
# preexec_functions. Otherwise two pieces make one. PS0, which bash expands after reading a
# command line and before running it, arms a flag (an assignment in an array subscript: it
# prints and runs nothing). The DEBUG trap, which bash runs before each simple command, does
# nothing unless armed, and armed it disarms and checks. So the check runs once per command
# line, and never for what PROMPT_COMMAND runs (a line of only a subshell, `( ... )`, never
# reaches the trap: the prompt drops its flag). A DEBUG trap found here keeps running after
# ours, with the $? and $_ it would have seen, and its status is the trap's, as before;
# without one the status is 0, since under `shopt -s extdebug` any other skips the command.
# bash restores $? after a DEBUG trap; $_ is what the trap's last call leaves, its last word.
# A DEBUG trap set after this line replaces ours; a PS0 set after it gets ours back in front
# at the next prompt. Under `shopt -u promptvars`, PS0 arms nothing.
__awsenv_debug() {
    if [[ -n ${__awsenv_armed-} ]]; then
        __awsenv_armed=
        # Armed at a prompt: the line's command never reached the trap.
        [[ $BASH_COMMAND == __awsenv_hook ]] || __awsenv_preexec
    fi
    return "$1"
}

if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
    if [[ " ${preexec_functions[*]-} " != *" __awsenv_preexec "* ]]; then
        preexec_functions+=(__awsenv_preexec)
    fi
elif ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
    # shellcheck disable=SC2016 # PS0 expands it at each command line
    __awsenv_arm='${__awsenv_none[__awsenv_armed=1]-}'
    # `trap -p` quotes the body as a word: the array's third.
    eval "__awsenv_trap=($(trap -p DEBUG))"
    if [[ ${__awsenv_trap[2]-} != *__awsenv_debug* ]]; then
        if [[ -n ${__awsenv_trap[2]-} ]]; then
            # shellcheck disable=SC2016 # the trap expands them when it runs
            trap -- '__awsenv_debug "$?" "$_"'$'\n'"${__awsenv_trap[2]}" DEBUG
        else
            # shellcheck disable=SC2016 # the trap expands them when it runs
            trap -- '[[ -z ${__awsenv_armed-} ]] || __awsenv_debug 0 "$_"' DEBUG
        fi
    fi
    unset __awsenv_trap
fi

# Completion of commands and account names.
#AWSENV_COMPLETIONS
