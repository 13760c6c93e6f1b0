# awsenv for fish: add `awsenv init fish | source` to ~/.config/fish/config.fish.
#
# A prompt in steady state runs no process: the hook compares the clock with the moment the
# session enters its expiry margin, and checks that its cache file still exists. Only then
# does it ask `awsenv hook`, which updates this shell. Right before each command line
# (fish_preexec) the same check runs once more, so that a prompt left open past that moment
# does not start a command with a session about to end. Sourcing this twice changes nothing.
#
# fish has no clock builtin, but from 3.6 on `path mtime` tells a file's mtime and the seconds
# since: their sum is the time, to the second, from builtins alone. An older fish asks the
# binary at every prompt (`awsenv hook fish --segment`, which paints the segment too) and
# before every command line, about a millisecond each.

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

# Sets $__awsenv_now to the Unix time, or to nothing where this fish cannot tell it. The file
# is `/`, always there; `builtin`, since a function of the user's may be named path. Should `/`
# change between the two reads, that one reading is off by as much; the next is right.
if builtin -q path 2>/dev/null; and builtin path mtime / >/dev/null 2>&1
    function __awsenv_clock
        set -l mtime_since (builtin path mtime /; builtin path mtime -R /)
        set -g __awsenv_now
        set -q mtime_since[2]; and set -g __awsenv_now (math $mtime_since[1] + $mtime_since[2])
    end
else
    function __awsenv_clock
        set -g __awsenv_now
    end
end

function __awsenv_hook --on-event fish_prompt
    if test -n "$AWSENV_ACCOUNT"
        __awsenv_clock
        if test -z "$__awsenv_now"
            # No clock: the binary tells the time, and paints the segment.
            command awsenv hook fish --segment (__awsenv_told) | source
        else if __awsenv_due
            command awsenv hook fish (__awsenv_told) | source
        end
    end
    # After the hook, which may have cleared the account.
    if test -z "$AWSENV_ACCOUNT"
        set -g AWSENV_PROMPT ''
    else if test -n "$__awsenv_now"
        __awsenv_segment $__awsenv_now
    end
end

# Right before a command line runs, the prompt's check. Due, it asks `awsenv hook fish
# --before-command`, which may renew the session first. Without a clock, always.
function __awsenv_preexec --on-event fish_preexec
    if test -n "$AWSENV_ACCOUNT"
        __awsenv_clock
        if test -z "$__awsenv_now"; or __awsenv_due
            command awsenv hook fish --before-command (__awsenv_told) | source
        end
    end
end

# Whether the binary is needed at $__awsenv_now: the session entered its margin (or the hook
# never ran in this shell), or its cache file is gone.
function __awsenv_due
    not set -q __awsenv_next[1]
    or test "$__awsenv_now" -ge "$__awsenv_next"
    or not test -e "$__awsenv_file"
end

# What this shell was last told, for the hook, so that it says each thing once.
function __awsenv_told
    test -n "$__awsenv_told"; and printf '%s\n' --told "$__awsenv_told"
    return 0
end

# AWSENV_PROMPT at the time $argv[1]: "personal 42m", green, then yellow from $__awsenv_soon
# seconds before the end, red inside the expiry margin, and "personal expired" once over. The
# count of shell/posix/segment.sh, with the thresholds `awsenv init` sets, in the colours the
# binary gives fish (plain ANSI).
function __awsenv_segment --argument-names now
    set -l span expired
    set -l color 31
    if test -n "$AWS_ACCESS_KEY_ID"; and test -n "$__awsenv_exp"
        # The seconds left, and the hours and minutes to the nearest minute (a session made for
        # 12h reads 12h a second later), from one command substitution: in fish each costs
        # more than the sums.
        set -l left "$__awsenv_exp - $now"
        set left (math $left; math "floor(($left + 30) / 3600)"; math "floor(($left + 30) / 60) % 60")
        set -l h $left[2]
        set -l m $left[3]
        set left $left[1]
        set -l margin $__awsenv_margin
        test -n "$margin"; or set margin $__awsenv_default_margin
        if test $left -gt 0
            if test $left -lt 60
                set span "$left"s
            else if test $h -eq 0
                set span "$m"m
            else if test $m -eq 0
                set span "$h"h
            else if test $m -lt 10
                set span "$h"h0"$m"m
            else
                set span "$h"h"$m"m
            end
            if test $left -le $margin
                set color 31
            else if test $left -le $__awsenv_soon
                set color 33
            else
                set color 32
            end
        end
    end
    # NO_COLOR turns colours off, AWSENV_COLORS=0/1 decides, else any terminal but dumb.
    if test -n "$NO_COLOR"; or test "$AWSENV_COLORS" = 0
        set color
    else if test -z "$AWSENV_COLORS"; and contains -- "$TERM" '' dumb
        set color
    end
    # The name as the binary escaped it (control and bidi characters shown as \u{..}); until
    # the binary has run in this shell, with those shown as `?`.
    set -l name $__awsenv_label
    set -q __awsenv_label[1]
    or set name (string replace -ra '[\p{Cc}\p{Cf}\x{2028}\x{2029}]' '?' -- "$AWSENV_ACCOUNT")
    if test -n "$color"
        set -g AWSENV_PROMPT \e\["$color"m"$name $span"\e\[0m
    else
        set -g AWSENV_PROMPT "$name $span"
    end
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
        if test -n "$AWSENV_ACCOUNT"
            __awsenv_clock
            set -l now $__awsenv_now
            test -n "$now"; or set now (date +%s)
            set -l margin $__awsenv_margin
            test -n "$margin"; or set margin $__awsenv_default_margin
            set -l exp $__awsenv_exp
            test -n "$exp"; or set exp 0
            if test -z "$AWS_ACCESS_KEY_ID"; or test $now -ge (math $exp - $margin)
                awsenv switch $AWSENV_ACCOUNT; or return
            end
        end
        command aws $argv
    end
end

# Completion of commands and account names.
#AWSENV_COMPLETIONS
