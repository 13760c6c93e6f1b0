# bash completion of awsenv: at each TAB the binary (COMPLETE=bash) lists the candidates,
# already quoted for the command line. Readline inserts a candidate as typed text, so an
# account named `x;touch y` or `$(...)` must come back escaped, and is never globbed here.
_awsenv_complete() {
    local IFS=$'\n' out candidate before quote=
    local words=("${COMP_WORDS[@]}")
    if [[ ${BASH_VERSINFO[0]} -ge 4 ]]; then
        # Readline's own word: COMP_WORDS also breaks at `=` and `:`.
        words[COMP_CWORD]=$2
    fi
    # After an open quote readline puts the candidate inside it: awsenv quotes it for that.
    before=${COMP_LINE:0:COMP_POINT}
    before=${before%"$2"}
    case $before in
    *\') quote=\' ;;
    *\") quote=\" ;;
    esac
    COMPREPLY=()
    out=$(COMPLETE=bash _CLAP_COMPLETE_INDEX=$COMP_CWORD _AWSENV_QUOTE=$quote \
        command awsenv -- "${words[@]}") || return 0
    # Split by hand: `COMPREPLY=($out)` would also glob each candidate.
    out+=$'\n'
    while [[ -n $out ]]; do
        candidate=${out%%$'\n'*}
        out=${out#*$'\n'}
        [[ -z $candidate ]] || COMPREPLY+=("$candidate")
    done
    # A space after the word, unless it goes on (`--opt=`, `dir/`, also before the closing
    # `''` of a word after an open quote); bash 3 has no compopt.
    candidate=${COMPREPLY-}
    [[ -z $quote ]] || candidate=${candidate%"$quote$quote"}
    if compopt +o nospace 2>/dev/null && [[ $candidate == *[=/:] ]]; then
        compopt -o nospace
    fi
}
if [[ ${BASH_VERSINFO[0]} -eq 4 && ${BASH_VERSINFO[1]} -ge 4 || ${BASH_VERSINFO[0]} -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _awsenv_complete awsenv
else
    complete -o nospace -o bashdefault -F _awsenv_complete awsenv
fi
