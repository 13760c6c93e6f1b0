//! The hook's side of renewal, one step at a time in bash: a role session inside its margin
//! is renewed in the background at a prompt and in the foreground before a command, a
//! failure is said once and not retried at once, an MFA session is never renewed, and the
//! settings turn it all off. (tests/shell/renewal.rs lives through it in real shells.)

use crate::support::{Home, Out, User, moto, time_in};
use std::time::{Duration, Instant};

/// alice (MFA) and `admin`, a role from her MFA session, switched to once so both are cached;
/// then admin's cached session is made to end in 50 s.
fn ending_role(extra: &[(&str, &str)]) -> (Home, User) {
    let home = Home::new();
    let alice = moto().user(true);
    let arn = moto().role(true, None, 3600);
    home.user_account("alice", &alice);
    let mut settings = vec![("role_arn", arn.as_str()), ("source_profile", "alice")];
    settings.extend_from_slice(extra);
    home.profile("admin", &settings);
    home.run(&["switch", "admin", "--code", &moto().code(&alice)])
        .ok();
    let mut cached = home.read_cache("admin");
    cached["expiration"] = time_in(50).into();
    home.write_cache("admin", &cached);
    (home, alice)
}

/// A bash that selects admin with the ending session (a 30 s margin makes switch take it),
/// then runs `steps` with a 200 s margin, inside which that session is, close enough to its
/// end for a renewal before a command to happen at once.
fn shell(home: &Home, env: &[(&str, &str)], steps: &str) -> Out {
    let script = format!(
        "set -e\neval \"$(AWSENV_EXPIRY_MARGIN=30 awsenv switch admin 2>/dev/null)\"\n\
         export AWSENV_EXPIRY_MARGIN=200\nstart=$AWS_ACCESS_KEY_ID\n{steps}"
    );
    let mut cmd = home.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    home.output(cmd.output().unwrap(), false)
}

fn assume_role_calls(home: &Home) -> usize {
    moto().assume_role_calls(home, "alice")
}

/// What the shell's AWS_ACCESS_KEY_ID is after `step`.
fn key_after(home: &Home, step: &str) -> Out {
    shell(home, &[], &format!("{step}\necho \"$AWS_ACCESS_KEY_ID\"")).ok()
}

fn cached_key(home: &Home) -> String {
    home.read_cache("admin")["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until admin's cached session is no longer `key`'s.
fn renewed_from(home: &Home, key: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if home.read_cache("admin")["access_key_id"] != key {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn at_a_prompt_the_renewal_runs_in_the_background_and_the_next_hook_takes_it() {
    let (home, _) = ending_role(&[]);
    let before = home.read_cache("admin")["access_key_id"].clone();
    let out = shell(
        &home,
        &[],
        "eval \"$(awsenv hook bash)\"\n\
         echo \"same=$([[ $AWS_ACCESS_KEY_ID == \"$start\" ]] && echo yes) next=$((__awsenv_next - EPOCHSECONDS))\"",
    )
    .ok();
    // The prompt did not wait: it still has the old session, and looks again in 2 s (3 by
    // bash's clock, time(2), which may lag the binary's by a tick across a second's edge).
    let next = out.stdout.trim().strip_prefix("same=yes next=");
    assert!(matches!(next, Some("2" | "3")), "{}", out.stdout);
    assert_eq!(out.stderr, "", "a renewal says nothing");
    assert!(renewed_from(&home, before.as_str().unwrap()));
    assert_eq!(assume_role_calls(&home), 2);
    let out = key_after(&home, "eval \"$(awsenv hook bash)\"");
    assert_eq!(out.stdout.trim(), cached_key(&home));
}

#[test]
fn before_a_command_the_renewal_runs_at_once() {
    let (home, _) = ending_role(&[]);
    let out = key_after(&home, "eval \"$(awsenv hook bash --before-command)\"");
    assert_eq!(out.stdout.trim(), cached_key(&home));
    assert_eq!(out.stderr, "");
    assert_eq!(assume_role_calls(&home), 2);
}

#[test]
fn a_failed_renewal_is_said_once_and_not_retried_at_once() {
    let (home, alice) = ending_role(&[]);
    moto().fail_next(&alice, "AssumeRole", 0);
    let line = "awsenv: admin: not renewed: AWS refused AssumeRole (AccessDenied)";
    let out = shell(
        &home,
        &[],
        "eval \"$(awsenv hook bash --before-command)\"\n\
         echo \"told=$__awsenv_told\"\n\
         eval \"$(awsenv hook bash --before-command --told \"$__awsenv_told\")\"\n\
         eval \"$(awsenv hook bash --told \"$__awsenv_told\")\"\n\
         echo \"same=$([[ $AWS_ACCESS_KEY_ID == \"$start\" ]] && echo yes)\"",
    )
    .ok();
    assert_eq!(out.stderr.matches(line).count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("AccessDenied"), "{}", out.stderr);
    assert!(
        out.stdout.contains("same=yes"),
        "the shell keeps its session"
    );
    // One call failed; the hooks after it waited for the retry time instead of calling.
    assert_eq!(assume_role_calls(&home), 2);
    // Another shell is told too, once.
    let out = shell(&home, &[], "eval \"$(awsenv hook bash)\"").ok();
    assert_eq!(out.stderr.matches(line).count(), 1, "{}", out.stderr);
}

#[test]
fn renewal_is_off_by_environment_or_by_profile() {
    for (extra, env) in [
        (&[][..], &[("AWSENV_RENEW", "0")][..]),
        (&[("awsenv_renew", "false")][..], &[][..]),
    ] {
        let (home, _) = ending_role(extra);
        let out = shell(
            &home,
            env,
            "eval \"$(awsenv hook bash --before-command)\"\neval \"$(awsenv hook bash)\"\n\
             echo \"same=$([[ $AWS_ACCESS_KEY_ID == \"$start\" ]] && echo yes)\"",
        )
        .ok();
        assert!(out.stdout.contains("same=yes"), "{env:?}: {}", out.stdout);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(assume_role_calls(&home), 1, "{extra:?} {env:?}");
    }
}

#[test]
fn an_mfa_session_is_never_renewed_and_its_end_is_said_once() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    let mut cached = home.read_cache("alice");
    cached["expiration"] = time_in(100).into();
    home.write_cache("alice", &cached);
    let script = "eval \"$(AWSENV_EXPIRY_MARGIN=60 awsenv switch alice 2>/dev/null)\"\n\
                  export AWSENV_EXPIRY_MARGIN=200\n\
                  eval \"$(awsenv hook bash --before-command)\"\n\
                  eval \"$(awsenv hook bash --told \"$__awsenv_told\")\"";
    let out = home.bash(script).ok();
    assert_eq!(
        out.stderr
            .matches("awsenv: alice: the session ends in 2m and needs an MFA code to renew: run awsenv mfa")
            .count(),
        1,
        "{}",
        out.stderr
    );
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn a_lock_held_elsewhere_is_said_once_and_not_waited_on_again() {
    let (home, _) = ending_role(&[]);
    // Another awsenv at an MFA prompt for admin: it holds the account's lock.
    let lock = home.cache_dir().join("admin.lock");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let out = shell(
        &home,
        &[],
        // The shell's session is over, and so is the cached one.
        "python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); \
         s[\"expiration\"] = \"2020-01-01T00:00:00Z\"; open(p, \"w\").write(json.dumps(s))' \
         \"$XDG_CACHE_HOME/awsenv/admin.json\"\n\
         export AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z\n\
         eval \"$(awsenv hook bash --before-command)\"\n\
         eval \"$(awsenv hook bash --before-command --told \"$__awsenv_told\")\"\n\
         echo \"key=${AWS_ACCESS_KEY_ID-none}\"",
    )
    .ok();
    let waited = start.elapsed();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let line = "awsenv: admin: session expired; another awsenv is making the next one";
    assert_eq!(out.stderr.matches(line).count(), 1, "{}", out.stderr);
    assert!(out.stdout.contains("key=none"), "{}", out.stdout);
    // The first waited a moment for the lock; the second knew better.
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    assert_eq!(assume_role_calls(&home), 1);
}

#[test]
fn sessions_no_longer_than_the_margin_are_taken_without_a_storm() {
    let (home, _) = ending_role(&[]);
    // Every session moto makes for admin lasts 1 h, inside a margin of 2 h.
    let out = shell(
        &home,
        &[],
        "export AWSENV_EXPIRY_MARGIN=2h\n\
         eval \"$(awsenv hook bash --before-command)\"\nfirst=$AWS_ACCESS_KEY_ID\n\
         for _ in 1 2 3; do eval \"$(awsenv hook bash --before-command --told \"$__awsenv_told\")\"; done\n\
         for _ in 1 2 3; do eval \"$(awsenv hook bash --told \"$__awsenv_told\")\"; done\n\
         echo \"renewed=$([[ $first != \"$start\" ]] && echo yes) kept=$([[ $first == \"$AWS_ACCESS_KEY_ID\" ]] && echo yes)\"",
    )
    .ok();
    assert!(
        out.stdout.contains("renewed=yes kept=yes"),
        "{}",
        out.stdout
    );
    let line = "awsenv: admin: its sessions last 1h, no longer than the expiry margin (2h)";
    assert_eq!(out.stderr.matches(line).count(), 1, "{}", out.stderr);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(assume_role_calls(&home), 2, "one renewal, not one per hook");
}

#[test]
fn what_a_shell_was_told_of_one_account_does_not_silence_another() {
    let (home, alice) = ending_role(&[]);
    let role = moto().role(true, None, 3600);
    home.role_account("ops", &role, "alice");
    let ops = "eval \"$(AWSENV_EXPIRY_MARGIN=30 awsenv switch ops 2>/dev/null)\"\n\
               export AWSENV_EXPIRY_MARGIN=200\n";
    home.bash(ops).ok();
    let mut cached = home.read_cache("ops");
    cached["expiration"] = time_in(50).into();
    home.write_cache("ops", &cached);
    // admin's renewal fails, and the shell is told.
    moto().fail_next(&alice, "AssumeRole", 0);
    let out = shell(
        &home,
        &[],
        "eval \"$(awsenv hook bash --before-command)\"\necho \"$__awsenv_told\"",
    )
    .ok();
    let told = out.stdout.trim().to_owned();
    assert!(out.stderr.contains("admin: not renewed"), "{}", out.stderr);
    // The same shell switches to ops, whose renewal fails the same way, maybe in the same
    // second: it hears of ops too.
    moto().fail_next(&alice, "AssumeRole", 0);
    let out = home
        .bash(&format!(
            "{ops}eval \"$(awsenv hook bash --before-command --told '{told}')\""
        ))
        .ok();
    assert!(out.stderr.contains("ops: not renewed"), "{}", out.stderr);
}
