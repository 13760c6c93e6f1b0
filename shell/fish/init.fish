# awsenv for fish: add `awsenv init fish | source` to ~/.config/fish/config.fish.
#
# fish has no clock builtin, so at each prompt where an account is selected the hook asks
# `awsenv hook fish --segment`, which answers in about a millisecond: it updates this shell
# when the session is near its end or gone, and gives the prompt segment. For the same reason,
# right before each command line (fish_preexec), it asks `awsenv hook fish --before-command`,
# so that a prompt left open until the session is about to end does not start a command with
# it. Sourcing this twice changes nothing.

# switch, mfa and clear print shell code for this shell to evaluate; the rest run as they are.
function awsenv --description 'awsenv: temporary AWS credentials in this shell'
    set -l word
    for word in $argv
        string match -q -- '-*' $word; or break
    end
    switch "$word"
        case switch mfa clear
            set -l code (AWSENV_SHELL=fish command awsenv $argv); or return
            string join \n -- $code | source
        case '*'
            command awsenv $argv
    end
end

function __awsenv_hook --on-event fish_prompt
    set -q AWSENV_ACCOUNT; and command awsenv hook fish --segment (__awsenv_told) | source
    # After the hook, which may have cleared the account.
    set -q AWSENV_ACCOUNT; or set -g AWSENV_PROMPT ''
end

function __awsenv_preexec --on-event fish_preexec
    set -q AWSENV_ACCOUNT; and command awsenv hook fish --before-command (__awsenv_told) | source
end

# What this shell was last told, for the hook, so that it says each thing once.
function __awsenv_told
    test -n "$__awsenv_told"; and printf '%s\n' --told "$__awsenv_told"
    return 0
end

function __awsenv_status --description 'sets $status for the prompt that follows'
    return $argv[1]
end

if test "$__awsenv_opt_prompt" = 1; and not functions -q __awsenv_user_prompt
    functions -q fish_prompt; and functions --copy fish_prompt __awsenv_user_prompt
    function fish_prompt
        set -l last_status $status
        if test -n "$AWSENV_PROMPT"; and not set -q STARSHIP_SHELL
            printf '%s ' $AWSENV_PROMPT
        end
        if functions -q __awsenv_user_prompt
            __awsenv_status $last_status
            __awsenv_user_prompt
        end
    end
end

if test "$__awsenv_opt_aws" = 1
    # Like aws-session: renew the session first when it is about to end (MFA if needed).
    function aws --wraps aws
        if set -q AWSENV_ACCOUNT
            if not set -q AWS_ACCESS_KEY_ID; or test (date +%s) -ge (math $__awsenv_exp - $__awsenv_margin)
                awsenv switch $AWSENV_ACCOUNT; or return
            end
        end
        command aws $argv
    end
end

# Completion of commands and account names.
#AWSENV_COMPLETIONS
