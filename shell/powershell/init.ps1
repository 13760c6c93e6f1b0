# awsenv for PowerShell: add this line to $PROFILE:
#   Invoke-Expression (& awsenv init powershell | Out-String)
#
# A prompt in steady state runs no process: the hook compares the clock with the moment the
# session enters its expiry margin, and checks that its cache file still exists. Only then
# does it ask `awsenv hook`, which updates this session. The prompt it wraps (starship's, or
# any other) still sees $? and $LASTEXITCODE as the user's command left them. Loading this
# twice changes nothing.
#
# Unlike bash, zsh and fish, PowerShell gets no check right before a command line: it has no
# event for that. A handler of PSReadLine's Enter would take the user's own binding of Enter
# and miss hosts without PSReadLine; PreCommandLookupAction fires at every command lookup, in
# scripts and in this prompt too, not once per line. So the prompt hook alone keeps the
# session; with `--aws-wrapper`, `aws` renews it before it runs.

$global:__awsenv_bin = (Get-Command -Name awsenv -CommandType Application -ErrorAction Stop |
    Select-Object -First 1).Source

# Defined from the start, so that Set-StrictMode finds them on the first prompt.
foreach ($name in '__awsenv_exp', '__awsenv_next', '__awsenv_margin', '__awsenv_file', '__awsenv_label', '__awsenv_told', 'AWSENV_PROMPT') {
    if (-not (Test-Path "Variable:global:$name")) { Set-Variable -Scope Global -Name $name -Value $null }
}

# switch, mfa and clear print code for this session to evaluate; the rest run as they are.
function global:awsenv {
    # A completion request (COMPLETE set): PowerShell drops the `--` that its registration
    # passes when a function is in the way, so put it back.
    if ($env:COMPLETE) {
        & $global:__awsenv_bin '--' @args
        return
    }
    $word = $args | Where-Object { "$_" -notlike '-*' } | Select-Object -First 1
    if ($word -in 'switch', 'mfa', 'clear') {
        $previous = $env:AWSENV_SHELL
        $env:AWSENV_SHELL = 'powershell'
        try {
            $code = & $global:__awsenv_bin @args | Out-String
            if ($LASTEXITCODE -eq 0 -and $code.Trim()) { Invoke-Expression $code }
        } finally {
            $env:AWSENV_SHELL = $previous
        }
    } else {
        & $global:__awsenv_bin @args
    }
}

function global:__awsenv_hook {
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($env:AWSENV_ACCOUNT -and ($now -ge [long]$global:__awsenv_next -or -not $global:__awsenv_file -or
            -not (Test-Path -LiteralPath $global:__awsenv_file))) {
        # What this session was last told, so that each thing is said once.
        $told = if ($global:__awsenv_told) { '--told', $global:__awsenv_told } else { @() }
        Invoke-Expression (& $global:__awsenv_bin hook powershell @told | Out-String)
    }
    # After the hook, which may have cleared the account.
    if ($env:AWSENV_ACCOUNT) { __awsenv_segment $now } else { $global:AWSENV_PROMPT = '' }
}

# AWSENV_PROMPT: "personal 42m", yellow from $__awsenv_soon seconds before the end, red inside
# the margin: the count of shell/posix/segment.sh, with the thresholds `awsenv init` sets.
function global:__awsenv_segment([long]$now) {
    # The name as the binary escaped it; until the binary has run, with controls and format
    # characters (bidi overrides) shown as `?`.
    $name = if ($global:__awsenv_label) { $global:__awsenv_label } else { $env:AWSENV_ACCOUNT -replace '[\p{Cc}\p{Cf}\u2028\u2029]', '?' }
    $left = [long]$global:__awsenv_exp - $now
    if (-not $env:AWS_ACCESS_KEY_ID -or $left -le 0) {
        $text = "$name expired"; $color = 31
    } else {
        if ($left -lt 60) {
            $span = "${left}s"
        } else {
            $minutes = [math]::Floor(($left + 30) / 60)
            $h = [math]::Floor($minutes / 60); $m = $minutes % 60
            if ($h -eq 0) { $span = "${m}m" }
            elseif ($m -eq 0) { $span = "${h}h" }
            else { $span = '{0}h{1:D2}m' -f [long]$h, [long]$m }
        }
        $text = "$name $span"
        $margin = if ($global:__awsenv_margin) { [long]$global:__awsenv_margin } else { [long]$global:__awsenv_default_margin }
        $color = if ($left -le $margin) { 31 } elseif ($left -le [long]$global:__awsenv_soon) { 33 } else { 32 }
    }
    $plain = $env:NO_COLOR -or $env:AWSENV_COLORS -eq '0' -or
        (-not $env:AWSENV_COLORS -and $env:TERM -eq 'dumb')
    $esc = [char]27
    $global:AWSENV_PROMPT = if ($plain) { $text } else { "$esc[${color}m$text$esc[0m" }
}

if (-not (Test-Path Function:\__awsenv_user_prompt)) {
    Set-Item Function:\global:__awsenv_user_prompt $function:prompt
    function global:prompt {
        $status = $global:?
        $exitCode = $global:LASTEXITCODE
        __awsenv_hook
        $segment = ''
        if ($global:__awsenv_opt_prompt -eq '1' -and $global:AWSENV_PROMPT -and -not $env:STARSHIP_SHELL) {
            $segment = "$global:AWSENV_PROMPT "
        }
        $global:LASTEXITCODE = $exitCode
        # Puts $? back to false for the prompt below, as the user's command left it.
        if (-not $status) { Write-Error '' -ErrorAction Ignore }
        "$segment$(__awsenv_user_prompt)"
    }
}

if ($global:__awsenv_opt_aws -eq '1') {
    # Like aws-session: renew the session first when it is about to end (MFA if needed).
    function global:aws {
        if ($env:AWSENV_ACCOUNT) {
            $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
            $margin = if ($global:__awsenv_margin) { [long]$global:__awsenv_margin } else { [long]$global:__awsenv_default_margin }
            if (-not $env:AWS_ACCESS_KEY_ID -or $now -ge [long]$global:__awsenv_exp - $margin) {
                awsenv switch $env:AWSENV_ACCOUNT
                if ($LASTEXITCODE -ne 0) { return }
            }
        }
        $aws = Get-Command -Name aws -CommandType Application | Select-Object -First 1
        & $aws @args
    }
}

# Completion of commands and account names.
#AWSENV_COMPLETIONS
