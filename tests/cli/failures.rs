//! Bad input gets one line that says what to do, a distinct exit status, and loses nothing:
//! no cache file written, no shell code printed.

use crate::support::{Home, moto, pty::Pty};
use std::process::Stdio;
use std::time::{Duration, Instant};

const CONFIG: i32 = 3;
const CREDENTIALS: i32 = 4;
const MFA: i32 = 5;
const NETWORK: i32 = 6;
const DENIED: i32 = 7;
const INTERRUPTED: i32 = 130;

/// One line on stderr, nothing on stdout (the shell must have nothing to eval).
fn one_line(out: &crate::support::Out) -> &str {
    assert_eq!(out.stdout, "", "no shell code on failure");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    out.stderr.trim_end()
}

#[test]
fn a_wrong_mfa_code_caches_nothing_and_says_so() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let right = moto().code(&alice);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let out = home.run(&["switch", "alice", "--code", wrong]).fails(MFA);
    assert_eq!(
        one_line(&out),
        "awsenv: alice: AWS rejected the MFA code: wait for the next code and try again"
    );
    assert!(!home.cache_file("alice").exists());
}

#[test]
fn a_wrong_code_leaves_the_previous_session_in_place() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    let before = std::fs::read(home.cache_file("alice")).unwrap();
    home.run(&["mfa", "alice", "--code", "12345"]).fails(MFA);
    home.run(&["mfa", "alice", "--code", "000000"]).fails(MFA);
    assert_eq!(std::fs::read(home.cache_file("alice")).unwrap(), before);
}

#[test]
fn an_unknown_account_suggests_the_closest_known_one() {
    let home = Home::new();
    home.user_account("alice", &moto().user(false));
    let out = home.run(&["switch", "alcie"]).fails(CONFIG);
    let line = one_line(&out);
    assert!(
        line.starts_with("awsenv: unknown account 'alcie' (did you mean alice?)"),
        "{line}"
    );
}

#[test]
fn missing_base_keys_say_where_to_put_them() {
    let home = Home::new();
    home.profile("nokeys", &[("region", "eu-west-1")]);
    let out = home.run(&["switch", "nokeys"]).fails(CREDENTIALS);
    let line = one_line(&out);
    assert!(line.contains("nokeys has no access keys"), "{line}");
    assert!(
        line.contains(&home.credentials_file().display().to_string()),
        "{line}"
    );
}

#[test]
fn rejected_base_keys_name_the_profile_to_fix() {
    let home = Home::new();
    let bob = moto().user(false);
    let role = moto().role(false, None, 3600);
    home.user_account("bob", &bob)
        .role_account("bob-role", &role, "bob");
    moto().deactivate(&bob.access_key_id);
    for account in ["bob", "bob-role"] {
        let out = home.run(&["switch", account]).fails(CREDENTIALS);
        let line = one_line(&out);
        assert!(
            line.contains(&format!(
                "{account}: AWS rejected the access key {} of [bob] in",
                bob.access_key_id
            )),
            "{line}"
        );
        assert!(line.contains("InvalidClientTokenId"), "{line}");
    }
    assert!(!home.cache_dir().join("bob.json").exists());
}

#[test]
fn a_wrong_secret_key_is_rejected() {
    let home = Home::new();
    let mut bob = moto().user(false);
    bob.secret_access_key = "not-the-secret-key-at-all-0123456789abcd".into();
    home.user_account("bob", &bob);
    let out = home.run(&["switch", "bob"]).fails(CREDENTIALS);
    assert!(
        one_line(&out).contains("SignatureDoesNotMatch"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_endpoint_fails_fast() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let out = home
        .awsenv(&["switch", "bob"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let out = home.output(out, true).fails(NETWORK);
    let line = one_line(&out);
    assert!(
        line.contains(&format!("bob: cannot reach http://127.0.0.1:{port}")),
        "{line}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(!home.cache_file("bob").exists());
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    // Accepts connections (the kernel does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = Instant::now();
    let out = home
        .awsenv(&["switch", "bob"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWSENV_TIMEOUT", "1")
        .output()
        .unwrap();
    let out = home.output(out, true).fails(NETWORK);
    assert!(one_line(&out).contains("no answer from"), "{}", out.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    drop(silent);
}

#[test]
fn durations_outside_aws_limits_are_refused_before_any_call() {
    let home = Home::new();
    let alice = moto().user(true);
    let (hop, target) = (
        moto().role(true, None, 3600),
        moto().role(false, None, 43200),
    );
    home.user_account("alice", &alice)
        .role_account("hop", &hop, "alice")
        .role_account("target", &target, "hop");
    let out = home
        .run(&["switch", "alice", "--duration", "40h"])
        .fails(CONFIG);
    assert!(one_line(&out).contains("alice: a GetSessionToken session lasts 15m to 36h; 40h"));
    let out = home
        .run(&["switch", "hop", "--duration", "10m"])
        .fails(CONFIG);
    assert!(one_line(&out).contains("lasts 15m to 12h"));
    let out = home
        .run(&["switch", "target", "--duration", "2h"])
        .fails(CONFIG);
    assert!(one_line(&out).contains("AWS caps a role assumed from another role at 1h"));
    let out = home
        .run(&["switch", "alice", "--duration", "soon"])
        .fails(2);
    assert!(
        out.stderr.contains("invalid duration 'soon'"),
        "{}",
        out.stderr
    );
    assert!(moto().calls_by(&alice.access_key_id).is_empty());
}

#[test]
fn a_role_aws_refuses_is_denied() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob).role_account(
        "ghost",
        "arn:aws:iam::123456789012:role/ghost",
        "bob",
    );
    let out = home.run(&["switch", "ghost"]).fails(DENIED);
    let line = one_line(&out);
    assert!(
        line.starts_with("awsenv: ghost: AWS refused AssumeRole (AccessDenied)"),
        "{line}"
    );
}

#[test]
fn ctrl_c_at_the_mfa_prompt_cancels_cleanly() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.expect(&format!(
        "MFA code for alice ({}): ",
        alice.mfa_serial.as_deref().unwrap()
    ));
    terminal.send("12");
    terminal.send("\x03");
    let out = home.output(terminal.output(), true);
    let out = out.fails(INTERRUPTED);
    assert_eq!(
        one_line(&out),
        "awsenv: alice: cancelled at the MFA prompt; nothing was changed"
    );
    assert!(!home.cache_file("alice").exists());
    assert!(moto().calls_by(&alice.access_key_id).is_empty());
}

#[test]
fn the_prompt_asks_again_for_a_malformed_code() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.expect("MFA code for alice");
    terminal.send("12345\n");
    terminal.expect("An MFA code is the 6 digits your device shows.");
    terminal.send(&format!("{}\n", moto().code(&alice)));
    let out = home.output(terminal.output(), false).ok();
    assert!(out.stdout.contains("export AWS_ACCESS_KEY_ID="));
}

#[test]
fn without_a_terminal_or_a_code_it_says_how_to_pass_one() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    // setsid: no controlling terminal, as under cron or CI.
    let mut cmd = home.command("setsid");
    cmd.args(["--wait", crate::support::AWSENV, "switch", "alice"]);
    let out = home.output(cmd.output().unwrap(), true).fails(MFA);
    assert_eq!(
        one_line(&out),
        "awsenv: alice needs an MFA code and there is no terminal to ask on: pass --code or set AWSENV_MFA_CODE"
    );
    let out = home.run(&["switch", "alice", "--code", "abc"]).fails(MFA);
    assert!(one_line(&out).contains("is not 6 digits"));
}

#[test]
fn a_failing_mfa_process_is_reported() {
    let home = Home::new();
    let alice = moto().user(true);
    home.profile(
        "alice",
        &[
            ("mfa_serial", alice.mfa_serial.as_deref().unwrap()),
            ("mfa_process", "echo no-such-yubikey >&2; exit 3"),
        ],
    )
    .keys("alice", &alice);
    let out = home.run(&["switch", "alice"]).fails(MFA);
    assert!(
        out.stderr
            .contains("alice: mfa_process failed (exit status: 3)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_looping_source_profile_chain_is_named() {
    let home = Home::new();
    home.role_account("a", "arn:aws:iam::123456789012:role/a", "b")
        .role_account("b", "arn:aws:iam::123456789012:role/b", "a");
    let out = home.run(&["switch", "a"]).fails(CONFIG);
    assert!(one_line(&out).ends_with("the source_profile chain loops: a -> b -> a"));
}

#[test]
fn mfa_needs_an_account_with_a_device() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = home.run(&["mfa", "bob"]).fails(CONFIG);
    assert!(
        one_line(&out)
            .contains("bob has no MFA device: set one up with awsenv mfa-device setup bob")
    );
    let out = home.run(&["mfa"]).fails(CONFIG);
    assert!(one_line(&out).contains("no account is selected in this shell"));
}

/// The processes whose command line holds `token`, with that command line.
fn processes_with(token: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(token) {
                found.push((pid, cmdline));
            }
        }
    }
    found
}

/// Waits (a little: a killed process takes a moment to go) until none holds `token`.
fn assert_none_left(token: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !processes_with(token).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left running: {:?}",
            processes_with(token)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// alice, whose codes come from `mfa_process`.
fn mfa_process_account(home: &Home, process: &str) -> crate::support::User {
    let alice = moto().user(true);
    mfa_process_account_of(home, &alice, process);
    alice
}

fn mfa_process_account_of(home: &Home, alice: &crate::support::User, process: &str) {
    home.profile(
        "alice",
        &[
            ("mfa_serial", alice.mfa_serial.as_deref().unwrap()),
            ("mfa_process", process),
        ],
    )
    .keys("alice", alice);
}

#[test]
fn a_hanging_mfa_process_is_stopped() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use std::os::unix::process::CommandExt;
    let home = Home::new();
    // A sleep of its own, to find it again among the processes of parallel tests.
    let sleep = format!("100.{}1", std::process::id());
    let alice = mfa_process_account(&home, &format!("sleep {sleep}"));
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.env("AWSENV_MFA_PROCESS_TIMEOUT", "1s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // No controlling terminal, whatever the test runner has: everything goes to stderr.
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::libc::setsid();
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let took = start.elapsed();
    if took >= Duration::from_secs(20) {
        // Left running, the sleep would hold the pipes, and the test, for 100 s.
        for (pid, _) in processes_with(&sleep) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
    let out = home.output(child.wait_with_output().unwrap(), true);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let out = out.fails(MFA);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "awsenv: alice: running mfa_process (touch your security key if it blinks)\n\
         awsenv: alice: mfa_process did not finish within 1s and was stopped: fix it in the \
         profile, pass --code, or set AWSENV_MFA_PROCESS_TIMEOUT to wait longer\n"
    );
    assert_none_left(&sleep);
    assert!(!home.cache_file("alice").exists());
    assert!(
        !moto()
            .calls_by(&alice.access_key_id)
            .contains(&"GetSessionToken".to_owned())
    );
}

#[test]
fn mfa_process_speaks_to_the_terminal_even_when_stderr_is_captured() {
    // As under credential_process: stdout and stderr go to the AWS CLI, not the person.
    let home = Home::new();
    let alice = moto().user(true);
    let code = moto().code(&alice);
    let process = format!("echo 'touch-the-key-now' >&2; printf '{code}\\n'");
    mfa_process_account_of(&home, &alice, &process);
    let mut cmd = home.awsenv(&["export", "alice", "--format", "json"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.expect("awsenv: alice: running mfa_process (touch your security key if it blinks)");
    terminal.expect("touch-the-key-now");
    let out = home.output(terminal.output(), false).ok();
    assert!(
        !out.stderr.contains("touch-the-key-now") && !out.stderr.contains("running"),
        "{}",
        out.stderr
    );
    assert_eq!(home.read_cache("alice")["kind"], "mfa");
}

#[test]
fn ctrl_c_while_mfa_process_runs_cancels() {
    let home = Home::new();
    let sleep = format!("100.{}2", std::process::id());
    let alice = mfa_process_account(&home, &format!("sleep {sleep}"));
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.expect("running mfa_process");
    // The sleep itself: a ctrl-C that reaches sh as it starts up can go unheeded.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_with(&sleep)
        .iter()
        .any(|(_, cmdline)| cmdline.starts_with("sleep "))
    {
        assert!(Instant::now() < deadline, "mfa_process never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    terminal.send("\x03");
    let out = home.output(terminal.output(), true).fails(INTERRUPTED);
    assert_eq!(
        one_line(&out),
        "awsenv: alice: cancelled while mfa_process ran; nothing was changed"
    );
    assert_none_left(&sleep);
    assert!(!home.cache_file("alice").exists());
    assert!(
        !moto()
            .calls_by(&alice.access_key_id)
            .contains(&"GetSessionToken".to_owned())
    );
}

#[test]
fn mfa_process_can_ask_on_the_terminal() {
    // A PIN prompt: the process gets the terminal's keyboard, as a shell's job would (from
    // the background, its read would stop it until the timeout).
    let home = Home::new();
    let alice = moto().user(true);
    let code = moto().code(&alice);
    let process = format!(
        "printf 'PIN: ' >&2; read -r pin </dev/tty; [ \"$pin\" = 1234 ] && printf '{code}\\n'"
    );
    mfa_process_account_of(&home, &alice, &process);
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.env("AWSENV_MFA_PROCESS_TIMEOUT", "10s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.wait_for("PIN: ");
    terminal.send("1234\n");
    home.output(terminal.output(), false).ok();
    assert_eq!(home.read_cache("alice")["kind"], "mfa");
}

/// The files are read as the AWS SDKs read them: an inline comment is not part of a value; a
/// value that still cannot be valid, or a line the SDKs refuse, is exit 3 naming where.
#[test]
fn values_are_read_as_the_aws_sdks_read_them_and_impossible_ones_are_named() {
    let home = Home::new();
    let bob = moto().user(false);
    home.profile("commented", &[("region", "eu-west-1 # Ireland")])
        .keys("commented", &bob);
    let out = home.run(&["switch", "commented"]).ok();
    assert!(
        out.stdout.contains("export AWS_REGION='eu-west-1';"),
        "{}",
        out.stdout
    );
    let calls = moto().calls_by(&bob.access_key_id);
    for (region, shown) in [
        ("eu-west-1 Ireland", "eu-west-1 Ireland"),
        ("eu-west-1#Ireland", "eu-west-1#Ireland"),
        ("Europe (Ireland) ; west", "Europe (Ireland)"),
    ] {
        let home = Home::new();
        home.profile("spaced", &[("region", region)])
            .keys("spaced", &bob);
        let out = home.run(&["switch", "spaced"]).fails(CONFIG);
        let line = one_line(&out);
        assert!(
            line.starts_with(&format!(
                "awsenv: spaced: region {shown} is not a region (like eu-west-1): correct it in "
            )),
            "{line}"
        );
        assert!(line.ends_with("/.aws/config"), "{line}");
    }
    let home = Home::new();
    home.profile("colon", &[]).keys("colon", &bob);
    std::fs::write(home.config_file(), "[profile colon]\nregion: eu-west-1\n").unwrap();
    let out = home.run(&["switch", "colon"]).fails(CONFIG);
    let line = one_line(&out);
    assert!(
        line.contains(
            "/.aws/config line 2: a line without = (botocore, under the AWS CLI, reads key: value"
        ),
        "{line}"
    );
    assert_eq!(
        moto().calls_by(&bob.access_key_id),
        calls,
        "only the first switch calls AWS"
    );
}
