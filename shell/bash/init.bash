# awsenv for bash: add `eval "$(awsenv init bash)"` to ~/.bashrc.
#
# A prompt in steady state runs no process: the hook compares the clock (EPOCHSECONDS) with the
# moment the session enters its expiry margin, and checks that its cache file still exists.
# Only then does it ask `awsenv hook`, which updates this shell. The hook keeps $?, works under
# `set -u`, and registering it twice changes nothing.

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

# Completion of commands and account names.
#AWSENV_COMPLETIONS
