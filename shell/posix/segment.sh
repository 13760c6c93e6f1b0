# AWSENV_PROMPT, the prompt segment: "personal 42m", green, then yellow from $__awsenv_soon
# seconds before the end, red inside the expiry margin, and "personal expired" once over.
# __awsenv_state names which of those it is (fresh, soon, ending, expired) for prompt themes.
# `awsenv init` puts this into both the bash and the zsh script, so it is written in what the
# two languages share; each script's own __awsenv_paint marks the colour as its prompt
# wants it. The time is an argument, so that a steady-state prompt starts no process; the
# thresholds come from the binary, which counts down the same way for fish and `awsenv prompt`.
__awsenv_segment() {
    local left=$((${__awsenv_exp:-0} - $1)) span color h m
    if [[ -z ${AWS_ACCESS_KEY_ID-} ]] || ((left <= 0)); then
        span=expired color=red __awsenv_state=expired
    else
        if ((left < 60)); then
            span=${left}s
        else
            # To the nearest minute: a session made for 12h reads 12h a second later.
            m=$(((left + 30) / 60))
            # Assignments, not ((h = ...)): an arithmetic command whose value is 0 fails,
            # and under errexit that would end the shell at a whole hour.
            h=$((m / 60))
            m=$((m % 60))
            if ((h == 0)); then
                span=${m}m
            elif ((m == 0)); then
                span=${h}h
            elif ((m < 10)); then
                span=${h}h0${m}m
            else
                span=${h}h${m}m
            fi
        fi
        if ((left <= ${__awsenv_margin:-$__awsenv_default_margin})); then
            color=red __awsenv_state=ending
        elif ((left <= __awsenv_soon)); then
            color=yellow __awsenv_state=soon
        else
            color=green __awsenv_state=fresh
        fi
    fi
    # NO_COLOR turns colours off, AWSENV_COLORS=0/1 decides, else any terminal but dumb.
    if [[ -n ${NO_COLOR-} || ${AWSENV_COLORS-} == 0 ]] ||
        [[ -z ${AWSENV_COLORS-} && ${TERM:-dumb} == dumb ]]; then
        color=
    fi
    # The name as the binary escaped it (control and bidi characters shown as \u{..}); until
    # the binary has run in this shell, with control characters shown as `?`.
    __awsenv_paint "${__awsenv_label-${AWSENV_ACCOUNT//[[:cntrl:]]/?}} $span" "$color"
}
