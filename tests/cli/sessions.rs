//! Getting sessions: users with and without MFA, roles, chains, and the cache that makes one
//! MFA code serve many terminals and many roles.

use crate::support::{Home, moto, pty::Pty, time_in};
use serde_json::Value;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Who the real AWS CLI says it is, run by `awsenv exec account --code code`; and awsenv's stderr.
fn caller_arn(home: &Home, account: &str, code: &str) -> (String, String) {
    let cli = ["aws", "sts", "get-caller-identity"];
    let out = home
        .run(&[&["exec", account, "--code", code, "--"], &cli[..]].concat())
        .ok();
    let v: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("not JSON: {}", out.stdout));
    (v["Arn"].as_str().unwrap().to_owned(), out.stderr)
}

#[test]
fn exec_gives_the_aws_cli_the_users_mfa_session() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let code = moto().code(&alice);
    let (arn, stderr) = caller_arn(&home, "alice", &code);
    assert_eq!(arn, alice.arn);
    assert!(stderr.contains("alice: new MFA session, 12h"), "{stderr}");
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);

    let cached = home.read_cache("alice");
    assert_eq!(cached["kind"], "mfa");
    assert_eq!(cached["identity"], alice.arn.as_str());
    assert!(
        cached["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
}

#[test]
fn exec_gives_the_aws_cli_a_role_session() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, Some("ext-42"), 3600);
    home.user_account("alice", &alice).profile(
        "admin",
        &[
            ("role_arn", &role),
            ("source_profile", "alice"),
            ("external_id", "ext-42"),
        ],
    );
    let code = moto().code(&alice);
    let (arn, stderr) = caller_arn(&home, "admin", &code);
    let role_name = role.rsplit('/').next().unwrap();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:sts::123456789012:assumed-role/{role_name}/awsenv-"
        )),
        "{arn}"
    );
    // The MFA session of the source is cached too, for the next role.
    assert_eq!(home.read_cache("alice")["kind"], "mfa");
    assert_eq!(home.read_cache("admin")["kind"], "role");
    assert!(stderr.contains("alice: new MFA session"), "{stderr}");
}

#[test]
fn a_second_switch_uses_the_cache_and_makes_no_sts_call() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    // No code and no terminal: this only works from the cache.
    let out = home.run(&["switch", "alice"]).ok();
    assert!(
        out.stderr
            .contains("alice: using cached MFA session, 12h left"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="));
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn parallel_switches_make_one_sts_call() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let code = moto().code(&alice);
    let children: Vec<_> = (0..6)
        .map(|_| {
            home.awsenv(&["switch", "alice", "--code", &code])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| home.output(c.wait_with_output().unwrap(), false).ok())
        .collect();
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
    let keys: Vec<&str> = outputs
        .iter()
        .map(|o| {
            o.stdout
                .lines()
                .find(|l| l.contains("AWS_ACCESS_KEY_ID="))
                .unwrap()
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "all got the same session"
    );
}

#[test]
fn a_terminal_waiting_on_another_uses_its_session_without_asking() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);

    let mut first = home.awsenv(&["switch", "alice"]);
    first.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal_a = Pty::spawn(first);
    terminal_a.expect("MFA code for alice");

    // Terminal B has no terminal to prompt on: it can only succeed by waiting for A.
    let mut second = home
        .awsenv(&["switch", "alice"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut b_stderr = second.stderr.take().unwrap();
    let said = std::thread::spawn(move || {
        let mut text = String::new();
        b_stderr.read_to_string(&mut text).unwrap();
        text
    });
    // Give B time to reach the lock; it must then wait, whatever the timing.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) && second.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(second.try_wait().unwrap().is_none(), "B did not wait for A");
    terminal_a.send(&format!("{}\n", moto().code(&alice)));

    let a = home.output(terminal_a.output(), false).ok();
    assert!(a.stderr.contains("alice: new MFA session"), "{}", a.stderr);
    let b_status = second.wait().unwrap();
    let b_stderr = said.join().unwrap();
    assert!(b_status.success(), "{b_stderr}");
    assert!(
        b_stderr.contains("waiting for another awsenv"),
        "{b_stderr}"
    );
    assert!(
        b_stderr.contains("alice: using cached MFA session"),
        "{b_stderr}"
    );
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn one_mfa_code_serves_every_role_of_a_source() {
    let home = Home::new();
    let alice = moto().user(true);
    let (ro, admin) = (moto().role(true, None, 3600), moto().role(true, None, 3600));
    home.user_account("alice", &alice)
        .role_account("ro", &ro, "alice")
        .role_account("admin", &admin, "alice");
    home.run(&["switch", "ro", "--code", &moto().code(&alice)])
        .ok();
    // No code, no terminal: the second role is assumed with the cached MFA session.
    let out = home.run(&["switch", "admin"]).ok();
    assert!(
        out.stderr.contains("admin: new role session, 1h"),
        "{}",
        out.stderr
    );
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn a_role_chained_from_a_role_needs_one_code() {
    let home = Home::new();
    let alice = moto().user(true);
    let (hop, target) = (
        moto().role(true, None, 3600),
        moto().role(false, None, 3600),
    );
    home.user_account("alice", &alice)
        .role_account("hop", &hop, "alice")
        .role_account("target", &target, "hop");
    let code = moto().code(&alice);
    let (arn, stderr) = caller_arn(&home, "target", &code);
    let target_name = target.rsplit('/').next().unwrap();
    assert!(
        arn.contains(&format!("assumed-role/{target_name}/")),
        "{arn}"
    );
    assert!(stderr.contains("target: new role session, 1h"), "{stderr}");
    for account in ["alice", "hop", "target"] {
        assert!(home.cache_file(account).exists(), "{account} is cached");
    }
}

#[test]
fn a_role_session_longer_than_an_hour_is_assumed_directly_with_mfa() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, None, 4 * 3600);
    home.user_account("alice", &alice).profile(
        "long",
        &[
            ("role_arn", &role),
            ("source_profile", "alice"),
            ("duration_seconds", "7200"),
        ],
    );
    let out = home
        .run(&["switch", "long", "--code", &moto().code(&alice)])
        .ok();
    assert!(
        out.stderr.contains("long: new role session, 2h"),
        "{}",
        out.stderr
    );
    // AWS caps chained sessions at 1 h, so the long-term key assumed the role itself.
    assert_eq!(moto().calls_by(&alice.access_key_id), ["AssumeRole"]);
    assert!(!home.cache_file("alice").exists());
}

#[test]
fn a_user_without_mfa_gets_a_plain_session_and_a_role_from_its_keys() {
    let home = Home::new();
    let bob = moto().user(false);
    let role = moto().role(false, None, 3600);
    home.user_account("bob", &bob)
        .role_account("bob-role", &role, "bob");
    let out = home.run(&["switch", "bob"]).ok();
    assert!(
        out.stderr.contains("bob: new session (no MFA), 12h"),
        "{}",
        out.stderr
    );
    assert_eq!(home.read_cache("bob")["kind"], "session");
    home.run(&["switch", "bob-role"]).ok();
    assert_eq!(
        moto().calls_by(&bob.access_key_id),
        [
            "GetCallerIdentity",
            "ListMFADevices",
            "GetSessionToken",
            "AssumeRole"
        ]
    );
}

#[test]
fn mfa_makes_a_new_session_even_when_one_is_cached() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let code = moto().code(&alice);
    home.run(&["switch", "alice", "--code", &code]).ok();
    let before = home.read_cache("alice")["access_key_id"].clone();
    let out = home.run(&["mfa", "alice", "--code", &code]).ok();
    assert!(
        out.stderr.contains("alice: new MFA session"),
        "{}",
        out.stderr
    );
    assert_ne!(home.read_cache("alice")["access_key_id"], before);
    assert_eq!(
        moto().calls_by(&alice.access_key_id),
        ["GetSessionToken", "GetSessionToken"]
    );
}

#[test]
fn mfa_process_supplies_the_code() {
    let home = Home::new();
    let alice = moto().user(true);
    let code = moto().code(&alice);
    home.profile(
        "alice",
        &[
            ("mfa_serial", alice.mfa_serial.as_deref().unwrap()),
            ("mfa_process", &format!("printf '{code}\\n'")),
        ],
    )
    .keys("alice", &alice);
    home.run(&["switch", "alice"]).ok();
    assert_eq!(home.read_cache("alice")["kind"], "mfa");
}

#[test]
fn a_session_inside_the_expiry_margin_is_renewed() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    home.run(&["switch", "bob"]).ok();
    let mut cached = home.read_cache("bob");
    let soon = time_in(240);
    cached["expiration"] = Value::from(soon);
    home.write_cache("bob", &cached);
    let out = home.run(&["switch", "bob"]).ok();
    assert!(out.stderr.contains("bob: new session"), "{}", out.stderr);
    // A smaller margin makes the same session fresh enough.
    let mut cached = home.read_cache("bob");
    cached["expiration"] = Value::from(time_in(240));
    home.write_cache("bob", &cached);
    let out = home
        .command(crate::support::AWSENV)
        .args(["switch", "bob"])
        .env("AWSENV_EXPIRY_MARGIN", "2m")
        .output()
        .unwrap();
    let out = home.output(out, false).ok();
    assert!(
        out.stderr
            .contains("bob: using cached session (no MFA), 4m left"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_cached_session_made_from_another_key_is_not_used() {
    let home = Home::new();
    let (old, new) = (moto().user(false), moto().user(false));
    home.user_account("bob", &old);
    home.run(&["switch", "bob"]).ok();
    std::fs::remove_file(home.credentials_file()).unwrap();
    home.keys("bob", &new);
    home.run(&["switch", "bob"]).ok();
    // A user without mfa_serial is looked up for an MFA device before a new session.
    assert_eq!(
        moto().calls_by(&new.access_key_id),
        ["GetCallerIdentity", "ListMFADevices", "GetSessionToken"]
    );
    assert_eq!(
        home.read_cache("bob")["origin"],
        format!("key:{}", new.access_key_id)
    );
}

/// `awsenv` in `home` with `env` set.
fn run_with(home: &Home, env: &[(&str, &str)], args: &[&str]) -> crate::support::Out {
    let mut cmd = home.awsenv(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    home.output(cmd.output().unwrap(), false)
}

#[test]
fn session_and_role_lengths_are_set_apart_and_each_names_its_source() {
    let home = Home::new();
    let alice = moto().user(true);
    let (admin, target) = (
        moto().role(true, None, 3600),
        moto().role(false, None, 43200),
    );
    home.user_account("alice", &alice)
        .role_account("admin", &admin, "alice")
        .role_account("target", &target, "admin");
    // A 12h user session does not make the chained roles ask for 12h.
    let env = [("AWSENV_SESSION_DURATION", "12h")];
    let code = moto().code(&alice);
    let out = run_with(&home, &env, &["switch", "target", "--code", &code]).ok();
    assert!(
        out.stderr.contains("target: new role session, 1h"),
        "{}",
        out.stderr
    );
    // A role length that cannot be: refused before any call, naming the variable.
    let out = run_with(
        &home,
        &[("AWSENV_ROLE_DURATION", "2h")],
        &["switch", "target"],
    )
    .fails(3);
    assert!(
        out.stderr
            .contains("AWS caps a role assumed from another role at 1h; 2h was asked for by AWSENV_ROLE_DURATION"),
        "{}",
        out.stderr
    );
    home.profile(
        "long",
        &[
            ("role_arn", &admin),
            ("source_profile", "alice"),
            ("duration_seconds", "50000"),
        ],
    );
    let out = home.run(&["switch", "long"]).fails(3);
    assert!(
        out.stderr
            .contains("(by duration_seconds of [profile long])"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_explicit_duration_gets_a_session_of_that_length() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    home.run(&["switch", "bob"]).ok();
    let out = home.run(&["switch", "bob", "--duration", "2h"]).ok();
    assert!(
        out.stderr.contains("bob: new session (no MFA), 2h"),
        "{}",
        out.stderr
    );
    let out = home.run(&["switch", "bob", "--duration", "2h"]).ok();
    assert!(out.stderr.contains("using cached"), "{}", out.stderr);
    // Without --duration any fresh session will do.
    let out = home.run(&["switch", "bob"]).ok();
    assert!(out.stderr.contains("using cached"), "{}", out.stderr);
    assert_eq!(
        moto()
            .calls_by(&bob.access_key_id)
            .iter()
            .filter(|c| *c == "GetSessionToken")
            .count(),
        2
    );
    // A length inside the margin would be renewed at every use: refused.
    let out = run_with(
        &home,
        &[("AWSENV_EXPIRY_MARGIN", "20m")],
        &["switch", "bob", "--duration", "15m"],
    )
    .fails(3);
    assert!(
        out.stderr
            .contains("bob: a session of 15m would be inside the expiry margin (20m)"),
        "{}",
        out.stderr
    );
    // AWS's default length, no longer than the margin: made, and said.
    let out = run_with(
        &home,
        &[("AWSENV_EXPIRY_MARGIN", "13h")],
        &["switch", "bob"],
    )
    .ok();
    assert!(
        out.stderr.contains(
            "bob: this session lasts 12h, no longer than the expiry margin (13h), so every use \
             makes a new one"
        ),
        "{}",
        out.stderr
    );
}
