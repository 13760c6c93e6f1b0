# awsenv for zsh: add `eval "$(awsenv init zsh)"` to ~/.zshrc.
#
# A prompt in steady state runs no process: the hook compares the clock (EPOCHSECONDS, from
# the zsh/datetime module) with the moment the session enters its expiry margin, and checks
# that its cache file still exists. Only then does it ask `awsenv hook`, which updates this
# shell. Right before each command line (preexec) the same check runs once more, so that a
# prompt left open past that moment does not start a command with a session about to end.
# Both keep $?, work under `setopt nounset`, and registering them twice changes nothing.

zmodload zsh/datetime 2>/dev/null

# The segment's text (with % escaped), colour and state, for prompt themes (see prompt_awsenv).
typeset -g __awsenv_text= __awsenv_color= __awsenv_state=

# switch, mfa and clear print shell code for this shell to evaluate; the rest run as they are.
awsenv() {
    local __awsenv_word __awsenv_code
    for __awsenv_word in "$@"; do
        [[ $__awsenv_word == -* ]] || break
    done
    case ${__awsenv_word-} in
    switch | mfa | clear)
        __awsenv_code=$(AWSENV_SHELL=zsh command awsenv "$@") || return
        eval "$__awsenv_code"
        ;;
    *) command awsenv "$@" ;;
    esac
}

__awsenv_hook() {
    local __awsenv_status=$?
    if [[ -n ${AWSENV_ACCOUNT-} ]]; then
        # `--told TOKEN` once the hook has told this shell something, so that it says it once;
        # two expansions, so that the token stays one argument even under sh_word_split.
        if [[ -z ${EPOCHSECONDS-} ]]; then
            # Without zsh/datetime there is no clock: the binary tells the time.
            eval "$(command awsenv hook zsh --segment ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
        elif ((EPOCHSECONDS >= ${__awsenv_next:-0})) || [[ ! -e ${__awsenv_file-} ]]; then
            eval "$(command awsenv hook zsh ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
        fi
    fi
    # After the hook, which may have cleared the account.
    if [[ -z ${AWSENV_ACCOUNT-} ]]; then
        AWSENV_PROMPT=
    elif [[ -n ${EPOCHSECONDS-} ]]; then
        __awsenv_segment "$EPOCHSECONDS"
    fi
    # starship, and the themes that rebuild PROMPT at every prompt (powerlevel10k,
    # powerlevel9k, spaceship, oh-my-posh), show the segment themselves: a prefix would be lost.
    if [[ $__awsenv_opt_prompt == 1 && -z ${STARSHIP_SHELL-} ]] &&
        ((!${precmd_functions[(I)(_p9k_precmd|powerlevel9k_prepare_prompts|prompt_spaceship_precmd|_omp_precmd)]})); then
        PROMPT=${PROMPT#"${__awsenv_spliced-}"}
        if [[ -o prompt_subst ]]; then
            # A reference, not the text: PROMPT expands it once, so a name is never run as code.
            __awsenv_spliced=
            [[ $PROMPT == *'${AWSENV_PROMPT'* ]] || PROMPT='${AWSENV_PROMPT:+$AWSENV_PROMPT }'$PROMPT
        else
            # Without prompt_subst nothing in PROMPT is run: put the text in, replacing the last.
            __awsenv_spliced=${AWSENV_PROMPT:+$AWSENV_PROMPT }
            PROMPT=$__awsenv_spliced$PROMPT
        fi
    fi
    return $__awsenv_status
}

# __awsenv_segment, the same for bash and zsh: shell/posix/segment.sh.
#AWSENV_SEGMENT

# zsh prompt escapes: %F{colour}..%f, and a literal % written %%.
__awsenv_paint() {
    __awsenv_text=${1//\%/%%} __awsenv_color=$2
    if [[ -n $2 ]]; then
        AWSENV_PROMPT="%F{$2}$__awsenv_text%f"
    else
        AWSENV_PROMPT=$__awsenv_text
    fi
}

# The `awsenv` element of prompt themes that own the whole prompt, drawn from what the hook
# computed at this prompt (it runs before theirs): no process, no countdown of their own.
# powerlevel10k and powerlevel9k call it for `awsenv` in POWERLEVEL9K_LEFT_PROMPT_ELEMENTS (or
# the right); p10k's state (FRESH, SOON, ENDING, EXPIRED) lets POWERLEVEL9K_AWSENV_<STATE>_*
# restyle it.
prompt_awsenv() {
    [[ -n ${AWSENV_PROMPT-} ]] || return 0
    # Without zsh/datetime the binary paints AWSENV_PROMPT, in prompt escapes: shown as is.
    local text=${__awsenv_text:-$AWSENV_PROMPT}
    if (($+functions[p10k])); then
        p10k segment -s "${(U)${__awsenv_state:-fresh}}" ${__awsenv_color:+-f} ${__awsenv_color:+"$__awsenv_color"} -t "$text"
    else
        # powerlevel9k: its segment function for the side ($1), at the element's place ($2).
        "$1_prompt_segment" "$0" "$2" black "${__awsenv_color:-default}" "$text"
    fi
}

# p10k's instant prompt, replayed at the next start before any of .zshrc has run, so before
# this script: the account of a session the shell inherited, with its time from the first
# real prompt on.
instant_prompt_awsenv() {
    p10k segment -s FRESH -f green -c '${AWSENV_ACCOUNT-}' -e -t '${${AWSENV_ACCOUNT//[[:cntrl:]]/?}//\%/%%}'
}

# spaceship's section, after `spaceship add awsenv`. Not in spaceship's background worker,
# which would see none of this shell's unexported state.
typeset -g SPACESHIP_AWSENV_ASYNC=false
spaceship_awsenv() {
    [[ -n ${AWSENV_PROMPT-} ]] || return 0
    spaceship::section --color "${__awsenv_color:-default}" --prefix '' --suffix ' ' "$__awsenv_text"
}

if [[ $__awsenv_opt_aws == 1 ]]; then
    # Like aws-session: renew the session first when it is about to end (MFA if needed).
    aws() {
        if [[ -n ${AWSENV_ACCOUNT-} ]] &&
            { [[ -z ${AWS_ACCESS_KEY_ID-} ]] || ((EPOCHSECONDS >= ${__awsenv_exp:-0} - ${__awsenv_margin:-$__awsenv_default_margin})); }; then
            awsenv switch "$AWSENV_ACCOUNT" || return
        fi
        command aws "$@"
    }
fi

# Right before a command line runs, the prompt's check. Due (the session entered its margin,
# or its file is gone), it asks `awsenv hook zsh --before-command`, which may renew the
# session first. Without zsh/datetime there is no clock, and the prompt's call of the binary
# is all there is.
__awsenv_preexec() {
    if [[ -n ${AWSENV_ACCOUNT-} && -n ${EPOCHSECONDS-} ]] &&
        { ((EPOCHSECONDS >= ${__awsenv_next:-0})) || [[ ! -e ${__awsenv_file-} ]]; }; then
        eval "$(command awsenv hook zsh --before-command ${__awsenv_told:+"--told"} ${__awsenv_told:+"$__awsenv_told"})"
    fi
    return 0
}

# First among the precmd and preexec hooks, so that those after them (starship, the user's
# own) see the updated environment, and the status of the user's command.
typeset -ga precmd_functions preexec_functions
precmd_functions=(__awsenv_hook ${precmd_functions:#__awsenv_hook})
preexec_functions=(__awsenv_preexec ${preexec_functions:#__awsenv_preexec})

# Completion of commands and account names, if compinit is loaded (put this file's line after it).
if (( $+functions[compdef] )); then
#AWSENV_COMPLETIONS
fi
