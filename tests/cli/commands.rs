//! The commands as a user meets them: shell code evaluated by a real bash, then what `now`,
//! `list`, `logout`, `clear` and `--debug` show.

use crate::support::{Home, moto};
use serde_json::Value;
use std::os::unix::process::CommandExt;

/// The AWS variables of a bash environment, for before/after comparisons.
fn aws_vars(env_output: &str) -> Vec<&str> {
    let mut vars: Vec<&str> = env_output
        .lines()
        .filter(|l| l.starts_with("AWS_") || l.starts_with("AWSENV_"))
        .collect();
    vars.sort();
    vars
}

#[test]
fn switch_output_in_bash_serves_the_aws_cli_and_clear_restores_the_shell() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let code = moto().code(&alice);
    let dir = home.dir.display();
    let out = home
        .bash(&format!(
            r#"set -eu
            cd {dir}
            export AWS_PROFILE=old AWS_REGION=us-west-2
            env > before
            eval "$(awsenv switch alice --code {code})"
            aws sts get-caller-identity --query Arn --output text
            test -z "${{AWS_PROFILE:-}}"
            test "$AWS_REGION" = eu-west-1 && test "$AWS_DEFAULT_REGION" = eu-west-1
            test "$AWS_SESSION_TOKEN" = "$AWS_SECURITY_TOKEN"
            awsenv now
            eval "$(awsenv clear)"
            env > after
            "#
        ))
        .ok();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some(alice.arn.as_str()));
    let now: Vec<&str> = lines.collect();
    assert_eq!(now[0], "account   alice");
    assert_eq!(now[1], "kind      MFA session");
    assert_eq!(now[2], format!("identity  {}", alice.arn));
    assert_eq!(now[3], "region    eu-west-1");
    assert!(
        now[4].starts_with("expires   20") && now[4].ends_with("left)"),
        "{}",
        now[4]
    );

    let read = |f: &str| std::fs::read_to_string(home.dir.join(f)).unwrap();
    assert_eq!(aws_vars(&read("before")), aws_vars(&read("after")));
}

#[test]
fn clear_puts_back_exactly_what_was_there() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let dir = home.dir.display();
    home.bash(&format!(
        r#"set -eu
        cd {dir}
        export AWS_PROFILE=old AWS_REGION=us-west-2 AWS_ACCESS_KEY_ID=AKIAOLDKEY
        env > before
        eval "$(awsenv switch bob)"
        test "$AWS_ACCESS_KEY_ID" != AKIAOLDKEY
        eval "$(awsenv switch bob)"
        eval "$(awsenv clear)"
        env > after
        eval "$(awsenv clear)"
        env > again
        "#
    ))
    .ok();
    let read = |f: &str| std::fs::read_to_string(home.dir.join(f)).unwrap();
    let before = read("before");
    assert!(before.contains("AWS_ACCESS_KEY_ID=AKIAOLDKEY"));
    assert_eq!(aws_vars(&before), aws_vars(&read("after")));
    assert_eq!(aws_vars(&before), aws_vars(&read("again")));
}

#[test]
fn now_without_awsenv() {
    let home = Home::new();
    assert_eq!(home.run(&["now"]).ok().stdout, "No credentials set\n");
    let out = home
        .awsenv(&["now"])
        .env("AWS_ACCESS_KEY_ID", "AKIAELSEWHERE")
        .output()
        .unwrap();
    let out = home.output(out, true).ok();
    assert_eq!(out.stdout, "AWS credentials are set, but not by awsenv\n");
    let json: Value = serde_json::from_str(&home.run(&["now", "--json"]).ok().stdout).unwrap();
    assert_eq!(json["account"], Value::Null);
    assert_eq!(json["credentials"], false);
}

#[test]
fn now_json_describes_the_session_without_secrets() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    let out = home
        .bash(r#"eval "$(awsenv switch bob)" && awsenv now --json"#)
        .ok();
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["account"], "bob");
    assert_eq!(json["kind"], "session");
    assert_eq!(json["identity"], bob.arn.as_str());
    assert_eq!(json["region"], "eu-west-1");
    let left = json["seconds_left"].as_i64().unwrap();
    assert!((43100..=43200).contains(&left), "{left}");
}

#[test]
fn list_shows_kinds_devices_and_sessions() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &role, "alice")
        .profile("broken", &[("role_arn", &role)])
        .profile(
            "sso",
            &[("sso_session", "corp"), ("sso_account_id", "123456789012")],
        )
        .profile(
            "vault",
            &[("credential_process", "aws-vault export --format=json x")],
        );
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    let out = home.run(&["list"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "ACCOUNT  KIND                               MFA  SESSION",
            "admin    role from alice                    yes  -",
            "alice    user                               yes  mfa 12h",
            "broken   invalid (awsenv switch says why)   -    -",
            "sso      sso_session (not awsenv's)         -    -",
            "vault    credential_process (not awsenv's)  -    -",
        ]
    );
    let json: Value = serde_json::from_str(&home.run(&["list", "--json"]).ok().stdout).unwrap();
    assert_eq!(json[1]["account"], "alice");
    assert_eq!(json[1]["session"]["kind"], "mfa");
    assert_eq!(json[1]["session"]["fresh"], true);
    assert_eq!(json[0]["source"], "alice");
    assert!(
        json[2]["error"]
            .as_str()
            .unwrap()
            .contains("needs a source_profile")
    );
}

/// Without HOME (cron, sudo -E), the files live under the home of the user's /etc/passwd
/// entry, or under `/` for a user it lacks (LDAP, systemd-homed). Never a crash: awsenv links
/// glibc statically (build.rs), and a static glibc that loads an NSS module dies of SIGSEGV.
#[test]
fn without_home_the_passwd_entry_gives_the_home() {
    let home = Home::new();
    let list_as = |uid: Option<u32>| {
        let mut cmd = home.awsenv(&["list"]);
        cmd.env_remove("HOME")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE");
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        home.output(cmd.output().unwrap(), true)
    };
    let euid = nix::unistd::geteuid().as_raw().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let own = passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() == 7 && fields[2] == euid)
        .map_or("", |fields| fields[5]);
    let out = list_as(None).ok();
    assert!(
        out.stderr
            .contains(&format!("add profiles to {own}/.aws/config")),
        "{}",
        out.stderr
    );
    // Only root can be a user that /etc/passwd lacks.
    if euid == "0" {
        assert!(!passwd.contains(":54321:"));
        let out = list_as(Some(54321)).ok();
        assert!(
            out.stderr.contains("add profiles to /.aws/config"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn logout_removes_cached_sessions() {
    let home = Home::new();
    let (bob, carol) = (moto().user(false), moto().user(false));
    home.user_account("bob", &bob).user_account("carol", &carol);
    home.run(&["switch", "bob"]).ok();
    home.run(&["switch", "carol"]).ok();
    let out = home.run(&["logout", "bob"]).ok();
    assert_eq!(out.stderr, "awsenv: bob: cached session removed\n");
    assert!(!home.cache_file("bob").exists());
    assert_eq!(
        home.run(&["logout", "bob"]).ok().stderr,
        "awsenv: bob: no cached session\n"
    );
    // The account selected in the shell is the default.
    let out = home
        .bash(r#"eval "$(awsenv switch carol)" && awsenv logout"#)
        .ok();
    assert!(
        out.stderr
            .ends_with("awsenv: carol: cached session removed\n"),
        "{}",
        out.stderr
    );
    home.run(&["switch", "bob"]).ok();
    home.run(&["switch", "carol"]).ok();
    assert_eq!(
        home.run(&["logout", "--all"]).ok().stderr,
        "awsenv: removed 2 cached session(s)\n"
    );
    assert!(!home.cache_file("carol").exists());
}

#[test]
fn debug_shows_each_step_and_call_with_timing_and_no_secret() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &role, "alice");
    let code = moto().code(&alice);
    let out = home
        .run(&["--debug", "switch", "admin", "--code", &code])
        .ok();
    for step in [
        "no cached session of admin",
        "no cached session of alice",
        "MFA code from --code or AWSENV_MFA_CODE",
        "awsenv-aws: debug sts:GetSessionToken ok in",
        "awsenv-aws: debug sts:GetCallerIdentity ok in",
        "awsenv-aws: debug sts:AssumeRole ok in",
        "wrote ",
    ] {
        assert!(
            out.stderr.contains(step),
            "{step} missing from:\n{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains(&code), "the MFA code is not logged");
    let out = home
        .awsenv(&["switch", "admin"])
        .env("AWSENV_DEBUG", "1")
        .output()
        .unwrap();
    let out = home.output(out, false).ok();
    assert!(
        out.stderr.contains("cached session of admin is fresh"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_documents_the_exit_statuses() {
    let out = Home::new().run(&["--help"]).ok();
    for line in [
        "Exit status:",
        "5    MFA code missing or rejected",
        "130  interrupted",
    ] {
        assert!(out.stdout.contains(line), "{line}: {}", out.stdout);
    }
}

#[test]
fn exec_passes_on_the_commands_status_and_environment() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = home.run(&[
        "exec",
        "bob",
        "--",
        "sh",
        "-c",
        "echo $AWSENV_ACCOUNT; exit 42",
    ]);
    let out = out.fails(42);
    assert_eq!(out.stdout, "bob\n");
    home.run(&["exec", "bob", "--", "no-such-command-here"])
        .fails(127);
}

#[test]
fn untrusted_account_names_are_quoted_for_the_shell() {
    let home = Home::new();
    let bob = moto().user(false);
    let name = r#"we'ird $(touch pwned) `touch pwned` "x" \ ;"#;
    home.profile(name, &[]).keys(name, &bob);
    let dir = home.dir.display();
    let mut cmd = home.command("bash");
    cmd.args([
        "--norc",
        "-c",
        &format!(r#"cd {dir} && eval "$(awsenv switch "$1")" && printf '%s' "$AWSENV_ACCOUNT""#),
        "bash",
        name,
    ]);
    let out = home.output(cmd.output().unwrap(), false).ok();
    assert_eq!(out.stdout, name);
    assert!(!home.dir.join("pwned").exists());
}

/// Brackets balance outside strings, here-strings and comments: a check that the PowerShell
/// script is whole, for want of pwsh on this machine.
fn powershell_brackets_balance(script: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    let mut chars = script.chars().peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '@' if matches!(chars.peek(), Some('"' | '\'')) => {
                let quote = chars.next().unwrap();
                let end: String = ['\n', quote, '@'].iter().collect();
                let mut text = String::new();
                for c in chars.by_ref() {
                    text.push(c);
                    if text.ends_with(&end) {
                        break;
                    }
                }
                line += text.matches('\n').count();
            }
            '\'' => {
                while let Some(c) = chars.next() {
                    if c == '\'' && chars.peek() != Some(&'\'') {
                        break;
                    }
                    if c == '\'' {
                        chars.next();
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '`' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' | '{' | '[' => stack.push((c, line)),
            ')' | '}' | ']' => {
                let open = stack
                    .pop()
                    .ok_or(format!("line {line}: {c} closes nothing"))?;
                let want = match open.0 {
                    '(' => ')',
                    '{' => '}',
                    _ => ']',
                };
                if c != want {
                    return Err(format!(
                        "line {line}: {c} closes {} of line {}",
                        open.0, open.1
                    ));
                }
            }
            _ => {}
        }
    }
    match stack.pop() {
        Some((c, at)) => Err(format!("{c} of line {at} is never closed")),
        None => Ok(()),
    }
}

#[test]
fn the_powershell_integration_renders_whole() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let init = home
        .run(&["init", "powershell", "--aws-wrapper"])
        .ok()
        .stdout;
    assert!(
        init.starts_with("$global:__awsenv_opt_prompt = '1';\n$global:__awsenv_opt_aws = '1';\n"),
        "{init}"
    );
    for piece in [
        "function global:awsenv",
        "function global:__awsenv_hook",
        "function global:prompt",
        "function global:aws",
        "& $global:__awsenv_bin hook powershell @told",
        "'__awsenv_told'",
        "Register-ArgumentCompleter -Native -CommandName awsenv",
    ] {
        assert!(init.contains(piece), "{piece} missing");
    }
    assert!(!init.contains("#AWSENV_COMPLETIONS"));
    powershell_brackets_balance(&init).unwrap();
    assert!(
        powershell_brackets_balance("function f { (1 }").is_err(),
        "the check can fail"
    );

    // What the binary hands PowerShell: quoted assignments, one statement a line.
    let out = home
        .awsenv(&["switch", "bob", "--shell", "powershell"])
        .output()
        .unwrap();
    let code = home.output(out, false).ok().stdout;
    let lines: Vec<&str> = code.lines().collect();
    assert!(lines.contains(&"$Env:AWSENV_ACCOUNT = 'bob';"), "{code}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("$global:__awsenv_next = '")),
        "{code}"
    );
    for line in lines {
        assert!(
            line.starts_with("$Env:")
                || line.starts_with("$global:")
                || line.starts_with("Remove-"),
            "{line}"
        );
        assert!(line.ends_with("';") || line.ends_with(';'), "{line}");
    }
}

#[test]
fn shell_code_is_never_printed_to_a_terminal() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    for args in [
        &["switch", "alice"][..],
        &["mfa", "alice"],
        &["clear"],
        &["export", "alice"],
    ] {
        // stdout is the terminal itself: `awsenv switch` typed without the integration.
        let mut terminal = crate::support::pty::Pty::attached(home.awsenv(args));
        terminal.wait_for("this prints ");
        terminal.wait_for("your credentials");
        let status = terminal.output().status;
        assert_eq!(status.code(), Some(2), "{args:?}");
        assert!(
            !terminal.screen().contains("MFA code for"),
            "refused before any prompt"
        );
    }
    assert!(moto().calls_by(&alice.access_key_id).is_empty());
}

#[test]
fn help_for_evaluated_commands_goes_to_stderr() {
    let home = Home::new();
    let out = home
        .bash(r#"eval "$(awsenv init bash)"; awsenv switch --help; echo "status=$?""#)
        .ok();
    assert_eq!(out.stdout, "status=0\n");
    assert!(
        out.stderr.contains("Usage: awsenv switch"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("command not found"), "{}", out.stderr);
    let out = home.run(&["--help"]).ok();
    assert!(
        out.stdout.starts_with("Keeps temporary AWS credentials"),
        "{}",
        out.stdout
    );
}

#[test]
fn exec_gives_the_command_no_saved_values() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = home
        .bash(
            r#"export AWS_SECRET_ACCESS_KEY=my-long-term-secret
            eval "$(awsenv switch bob)"
            awsenv exec bob -- env"#,
        )
        .ok();
    assert!(!out.stdout.contains("AWSENV_SAVED_"), "{}", out.stdout);
    assert!(!out.stdout.contains("my-long-term-secret"));
    assert!(out.stdout.contains("AWSENV_ACCOUNT=bob"));
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    let home = Home::new();
    let out = home
        .bash(
            r#"(sleep 0.3; exec awsenv init bash) | (exec 0<&-; sleep 1)
            echo "status=${PIPESTATUS[0]}""#,
        )
        .ok();
    assert_eq!(out.stdout, "status=0\n");
    assert_eq!(out.stderr, "", "no internal error");
}

#[test]
fn region_overrides_the_profiles_for_the_shell_and_the_command() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    let out = home
        .bash("eval \"$(awsenv switch bob --region us-east-2)\"; echo \"$AWS_REGION $AWS_DEFAULT_REGION\"")
        .ok();
    assert!(out.stdout.contains("us-east-2 us-east-2"), "{}", out.stdout);
    let out = home
        .run(&[
            "exec",
            "bob",
            "--region",
            "ap-south-1",
            "--",
            "sh",
            "-c",
            "echo $AWS_REGION",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "ap-south-1");
    let out = home
        .bash("awsenv export bob --region sa-east-1 | grep REGION")
        .ok();
    assert!(
        out.stdout.contains("AWS_REGION=sa-east-1"),
        "{}",
        out.stdout
    );
    // Without it, the profile's.
    let out = home
        .run(&["exec", "bob", "--", "sh", "-c", "echo $AWS_REGION"])
        .ok();
    assert_eq!(out.stdout.trim(), "eu-west-1");
    let out = home.run(&["switch", "bob", "--region", "eu west"]).fails(2);
    assert!(
        out.stderr.contains("not a region (like eu-west-1)"),
        "{}",
        out.stderr
    );
}

/// starship's `aws` module, in the order its source reads them (src/modules/aws.rs): a name
/// from the first of AWSU_PROFILE, AWS_VAULT, AWSUME_PROFILE, AWS_PROFILE, AWS_SSO_PROFILE;
/// the region from AWS_REGION, then AWS_DEFAULT_REGION; the time left from
/// AWS_CREDENTIAL_EXPIRATION. awsenv gives the region and the expiration, and no name (the
/// README's env_var snippet shows AWSENV_ACCOUNT), and sets aside a profile the shell had.
#[test]
fn starship_finds_the_region_and_the_countdown_and_no_profile_name() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = home
        .bash(
            r#"set -eu
            export AWS_PROFILE=old AWS_DEFAULT_PROFILE=old
            eval "$(awsenv switch bob)"
            for v in AWSU_PROFILE AWS_VAULT AWSUME_PROFILE AWS_PROFILE AWS_SSO_PROFILE \
                AWS_REGION AWS_DEFAULT_REGION AWS_CREDENTIAL_EXPIRATION AWSENV_ACCOUNT; do
                printf '%s=%s\n' "$v" "$(printenv "$v" || true)"
            done
            "#,
        )
        .ok();
    let vars: Vec<&str> = out.stdout.lines().collect();
    for name in [
        "AWSU_PROFILE",
        "AWS_VAULT",
        "AWSUME_PROFILE",
        "AWS_PROFILE",
        "AWS_SSO_PROFILE",
    ] {
        assert!(
            vars.contains(&format!("{name}=").as_str()),
            "{name}: {vars:?}"
        );
    }
    assert!(vars.contains(&"AWS_REGION=eu-west-1"), "{vars:?}");
    assert!(vars.contains(&"AWSENV_ACCOUNT=bob"), "{vars:?}");
    let expiration = vars
        .iter()
        .find_map(|v| v.strip_prefix("AWS_CREDENTIAL_EXPIRATION="))
        .unwrap();
    // RFC 3339 in UTC, as starship parses it (chrono's DateTime::parse_from_rfc3339).
    assert!(
        expiration.len() == 20 && expiration.ends_with('Z') && expiration.as_bytes()[10] == b'T',
        "{expiration}"
    );
}
