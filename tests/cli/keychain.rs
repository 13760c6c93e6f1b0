//! Long-term keys in the OS keychain, against a real Secret Service (gnome-keyring-daemon on a
//! private D-Bus session, unlocked for the test): `add`, sessions with MFA from keychain keys,
//! `import credentials`, `rotate`, `remove`, `doctor`, and what a keychain that cannot be
//! reached or is locked does (one line, nothing touched).

use crate::support::keyring::{Keyring, bare_bus};
use crate::support::{Home, Out, User, moto, pty::Pty, register_secret, time_in};
use std::io::Write;
use std::process::Stdio;

const CREDENTIALS: i32 = 4;
const KEYCHAIN: i32 = 10;

/// `awsenv add NAME` with the key piped to stdin, as a script gives it.
fn add(home: &Home, name: &str, id: &str, secret: &str) -> Out {
    let mut child = home
        .awsenv(&["add", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A refusal may come before awsenv reads a byte.
    let _ = writeln!(stdin, "{id}\n{secret}");
    drop(stdin);
    home.output(child.wait_with_output().unwrap(), true)
}

/// A home whose processes have a Secret Service of their own, unlocked.
fn keyring_home() -> (Keyring, Home) {
    let keyring = Keyring::new();
    let home = Home::new();
    home.use_keyring(&keyring);
    (keyring, home)
}

fn config(home: &Home) -> String {
    std::fs::read_to_string(home.config_file()).unwrap_or_default()
}

fn credentials(home: &Home) -> String {
    std::fs::read_to_string(home.credentials_file()).unwrap_or_default()
}

/// The identity the AWS CLI sees with what `switch` exports.
fn caller_after_switch(home: &Home, account: &str, code: Option<&str>) -> Out {
    let code = code.map(|c| format!(" --code {c}")).unwrap_or_default();
    home.bash(&format!(
        "eval \"$(awsenv switch {account}{code})\" && aws sts get-caller-identity --query Arn \
         --output text --region eu-west-1"
    ))
}

#[test]
fn add_stores_the_key_completes_the_profile_and_switch_makes_mfa_sessions_from_it() {
    let (keyring, home) = keyring_home();
    let alice = moto().user(true);
    let role = moto().role(true, None, 3600);
    home.profile("alice", &[("region", "eu-west-1")])
        .role_account("alice-role", &role, "alice");
    let before = config(&home);
    let out = add(
        &home,
        "alice",
        &alice.access_key_id,
        &alice.secret_access_key,
    )
    .ok();
    let serial = alice.mfa_serial.as_deref().unwrap();
    assert!(
        out.stderr.contains(&format!(
            "alice: key {} of {} is in the Secret Service",
            alice.access_key_id, alice.arn
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(serial), "{}", out.stderr);
    assert_eq!(
        keyring.secret(&alice.access_key_id).as_deref(),
        Some(alice.secret_access_key.as_str())
    );
    // Two lines added to the profile, nothing else changed, and no file holds the secret.
    let after = config(&home);
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(
        added,
        [
            format!("awsenv_keychain = {}", alice.access_key_id),
            format!("mfa_serial = {serial}")
        ]
    );
    assert!(!credentials(&home).contains(&alice.secret_access_key));
    let list = home.run(&["list"]).ok();
    assert!(list.stdout.contains("user (keychain)"), "{}", list.stdout);

    let code = moto().code(&alice);
    let arn = caller_after_switch(&home, "alice", Some(&code)).ok();
    assert_eq!(arn.stdout.trim(), alice.arn);
    assert!(
        arn.stderr.contains("alice: new MFA session"),
        "{}",
        arn.stderr
    );
    // The role is assumed with the cached MFA session: no second code, no keychain read.
    let arn = caller_after_switch(&home, "alice-role", None).ok();
    assert!(arn.stdout.contains(":assumed-role/"), "{}", arn.stdout);
    // --debug says the keychain was read, and never what it held (the leak check reads
    // stderr).
    let out = home.run(&["--debug", "mfa", "alice", "--code", &code]).ok();
    assert!(out.stderr.contains("keychain read ok"), "{}", out.stderr);
}

#[test]
fn add_takes_the_key_at_the_terminal_without_echoing_the_secret() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    let mut terminal = Pty::attached(home.awsenv(&["add", "bob"]));
    terminal.wait_for("Access key ID: ");
    terminal.send(&format!("{}\n", bob.access_key_id));
    terminal.wait_for("Secret access key: ");
    terminal.send(&format!("{}\n", bob.secret_access_key));
    // Everything up to awsenv's last line is on the screen (read on a thread of its own).
    terminal.wait_for("is in the Secret Service");
    let status = terminal.output().status;
    let screen = terminal.screen();
    assert_eq!(status.code(), Some(0), "{screen}");
    assert!(screen.contains(&bob.access_key_id), "the id is echoed");
    assert!(
        !screen.contains(&bob.secret_access_key),
        "the secret is not: {screen}"
    );
    assert!(keyring.secret(&bob.access_key_id).is_some());
    // No MFA device: a plain session, from the keychain's key.
    let arn = caller_after_switch(&home, "bob", None).ok();
    assert_eq!(arn.stdout.trim(), bob.arn);
}

#[test]
fn add_env_takes_the_key_from_the_environment_but_not_a_session() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    let run = |token: Option<&str>| {
        let mut cmd = home.awsenv(&["add", "bob", "--env"]);
        cmd.env("AWS_ACCESS_KEY_ID", &bob.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &bob.secret_access_key);
        if let Some(token) = token {
            cmd.env("AWS_SESSION_TOKEN", token);
        }
        home.output(cmd.output().unwrap(), true)
    };
    let out = run(Some("a-session-token")).fails(CREDENTIALS);
    assert!(out.stderr.contains("temporary key"), "{}", out.stderr);
    assert_eq!(keyring.ids(), Vec::<String>::new());
    run(None).ok();
    assert_eq!(
        keyring.secret(&bob.access_key_id).as_deref(),
        Some(bob.secret_access_key.as_str())
    );
}

#[test]
fn ctrl_c_at_the_secret_prompt_stores_nothing_and_gives_the_echo_back() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    let mut terminal = Pty::attached(home.awsenv(&["add", "bob"]));
    terminal.wait_for("Access key ID: ");
    terminal.send(&format!("{}\n", bob.access_key_id));
    terminal.wait_for("Secret access key: ");
    terminal.send("\x03");
    // The screen is read on a thread of its own: wait for the line, not just for the end.
    terminal.wait_for("bob: cancelled at the key prompt; nothing was changed");
    let status = terminal.output().status;
    assert_eq!(status.code(), Some(130), "{}", terminal.screen());
    assert_eq!(keyring.ids(), Vec::<String>::new());
    assert_eq!(config(&home), "");
}

#[test]
fn add_refuses_a_key_aws_rejects_or_a_temporary_one_and_stores_nothing() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    let wrong = "wrongwrongwrongwrongwrongwrongwrongwrong";
    register_secret(wrong);
    let out = add(&home, "bob", &bob.access_key_id, wrong).fails(CREDENTIALS);
    assert!(
        out.stderr
            .contains(&format!("bob: AWS rejected key {}", bob.access_key_id)),
        "{}",
        out.stderr
    );
    let out = add(&home, "bob", "ASIAIOSFODNN7EXAMPLE", wrong).fails(CREDENTIALS);
    assert!(out.stderr.contains("temporary key"), "{}", out.stderr);
    assert_eq!(keyring.ids(), Vec::<String>::new());
    assert_eq!(config(&home), "", "no profile was written");
    // A profile whose keys are in the file is moved, not added to.
    home.user_account("carol", &bob);
    let out = add(&home, "carol", &bob.access_key_id, &bob.secret_access_key).fails(3);
    assert!(
        out.stderr.contains("awsenv import credentials carol"),
        "{}",
        out.stderr
    );
}

#[test]
fn import_moves_keys_out_of_the_file_and_keeps_every_other_byte_and_session() {
    let (keyring, home) = keyring_home();
    let alice = moto().user(true);
    let bob = moto().user(false);
    home.user_account("alice", &alice).user_account("bob", &bob);
    std::fs::write(
        home.credentials_file(),
        format!(
            "# my keys\n[alice]\naws_access_key_id = {}\n; note\naws_secret_access_key = {}\n\
             region = eu-west-1\n\n[bob]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id, alice.secret_access_key, bob.access_key_id, bob.secret_access_key
        ),
    )
    .unwrap();
    let code = moto().code(&alice);
    home.run(&["switch", "alice", "--code", &code]).ok();
    let out = home.run(&["import", "credentials"]).ok();
    for user in [&alice, &bob] {
        assert_eq!(
            keyring.secret(&user.access_key_id).as_deref(),
            Some(user.secret_access_key.as_str())
        );
        assert!(
            out.stderr
                .contains(&format!("key {} of {}", user.access_key_id, user.arn)),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        credentials(&home),
        "# my keys\n[alice]\n; note\nregion = eu-west-1\n\n[bob]\n"
    );
    assert!(config(&home).contains(&format!("awsenv_keychain = {}", alice.access_key_id)));
    // Same key, same sessions: no new MFA code.
    let out = home.run(&["switch", "alice"]).ok();
    assert!(
        out.stderr.contains("using cached MFA session"),
        "{}",
        out.stderr
    );
    let arn = caller_after_switch(&home, "bob", None).ok();
    assert_eq!(arn.stdout.trim(), bob.arn);
    // Nothing left to move.
    let again = home.run(&["import", "credentials"]).ok();
    assert!(again.stderr.contains("no profile has"), "{}", again.stderr);
}

#[test]
fn import_leaves_a_rejected_key_in_the_file() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    moto().deactivate(&bob.access_key_id);
    let before = credentials(&home);
    let out = home
        .run(&["import", "credentials", "bob"])
        .fails(CREDENTIALS);
    assert!(
        out.stderr.contains("0 of 1 account(s) moved"),
        "{}",
        out.stderr
    );
    assert_eq!(credentials(&home), before);
    assert_eq!(keyring.ids(), Vec::<String>::new());
}

#[test]
fn rotate_puts_the_new_key_in_the_keychain_and_deletes_the_old() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    add(&home, "bob", &bob.access_key_id, &bob.secret_access_key).ok();
    home.run(&["switch", "bob"]).ok();
    let out = home.run(&["rotate", "bob"]).ok();
    let ids = keyring.ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let new = &ids[0];
    assert_ne!(*new, bob.access_key_id);
    register_secret(&keyring.secret(new).unwrap());
    assert_eq!(moto().keys_of(&bob.name), std::slice::from_ref(new));
    assert!(config(&home).contains(&format!("awsenv_keychain = {new}")));
    assert!(
        out.stderr.contains(&format!(
            "bob: access key {new} replaces {} in the Secret Service",
            bob.access_key_id
        )),
        "{}",
        out.stderr
    );
    assert!(!home.cache_file("bob").exists());
    let arn = caller_after_switch(&home, "bob", None).ok();
    assert_eq!(arn.stdout.trim(), bob.arn);
}

#[test]
fn remove_asks_first_then_deletes_the_key_its_line_and_its_sessions() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    let role = moto().role(false, None, 3600);
    home.role_account("bob-role", &role, "bob");
    add(&home, "bob", &bob.access_key_id, &bob.secret_access_key).ok();
    home.run(&["switch", "bob-role"]).ok();
    // No terminal to ask on, no --force: nothing happens.
    home.run(&["remove", "bob"]).fails(2);
    assert!(keyring.secret(&bob.access_key_id).is_some());
    // Asked, and declined.
    let mut terminal = Pty::attached(home.awsenv(&["remove", "bob"]));
    terminal.wait_for("[y/N] ");
    terminal.send("n\n");
    assert_eq!(terminal.output().status.code(), Some(0));
    assert!(keyring.secret(&bob.access_key_id).is_some());
    // --sessions-only keeps the key.
    home.run(&["remove", "bob", "--sessions-only", "--force"])
        .ok();
    assert!(!home.cache_file("bob-role").exists());
    assert!(keyring.secret(&bob.access_key_id).is_some());
    home.run(&["switch", "bob-role"]).ok();
    // Asked, and said yes.
    let mut terminal = Pty::attached(home.awsenv(&["remove", "bob"]));
    terminal.wait_for("[y/N] ");
    terminal.send("y\n");
    assert_eq!(
        terminal.output().status.code(),
        Some(0),
        "{}",
        terminal.screen()
    );
    assert_eq!(keyring.ids(), Vec::<String>::new());
    assert!(!config(&home).contains("awsenv_keychain"));
    assert!(!home.cache_file("bob").exists() && !home.cache_file("bob-role").exists());
}

#[test]
fn a_keychain_out_of_reach_is_one_line_and_touches_nothing() {
    let home = Home::new();
    let alice = moto().user(true);
    let bob = moto().user(false);
    home.user_account("bob", &bob)
        .profile("alice", &[("awsenv_keychain", &alice.access_key_id)]);
    let (config_before, credentials_before) = (config(&home), credentials(&home));
    let bare = bare_bus();
    for bus in [None, Some(&bare)] {
        if let Some(bus) = bus {
            home.use_bus(bus);
        }
        let out = add(
            &home,
            "carol",
            &alice.access_key_id,
            &alice.secret_access_key,
        )
        .fails(KEYCHAIN);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("cannot reach the Secret Service"),
            "{}",
            out.stderr
        );
        let out = home.run(&["import", "credentials"]).fails(KEYCHAIN);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        let out = home.run(&["switch", "alice"]).fails(KEYCHAIN);
        assert!(
            out.stderr.contains(
                "alice: the key of [alice] is in the Secret Service, which cannot be reached"
            ),
            "{}",
            out.stderr
        );
        let out = home.run(&["doctor"]).fails(9);
        assert!(
            out.stdout.contains("cannot reach the Secret Service")
                && out.stdout.contains("; it holds the keys of alice"),
            "{}",
            out.stdout
        );
        assert_eq!(config(&home), config_before);
        assert_eq!(credentials(&home), credentials_before);
        assert!(!home.cache_dir().join("alice.json").exists());
        // Keys in the file need no keychain.
        let arn = caller_after_switch(&home, "bob", None).ok();
        assert_eq!(arn.stdout.trim(), bob.arn);
        home.run(&["logout", "bob"]).ok();
    }
}

#[test]
fn a_locked_keychain_fails_a_renewal_without_a_person_and_doctor_says_so() {
    let (keyring, home) = keyring_home();
    let bob = moto().user(false);
    add(&home, "bob", &bob.access_key_id, &bob.secret_access_key).ok();
    home.run(&["switch", "bob"]).ok();
    // The session is inside its margin: the next renewal needs the key.
    let mut session = home.read_cache("bob");
    session["expiration"] = time_in(60).into();
    home.write_cache("bob", &session);
    keyring.lock();
    let start = std::time::Instant::now();
    home.run(&["renew", "bob"]).ok();
    assert!(
        start.elapsed().as_secs() < 5,
        "no wait for an unlock dialog"
    );
    let note = std::fs::read_to_string(home.cache_dir().join("bob.renewal")).unwrap();
    assert!(
        note.contains(
            "bob: not renewed: the key of [bob] is in the Secret Service, which is locked, and \
             awsenv unlocks it only for a person: run awsenv switch bob at a terminal"
        ),
        "{note}"
    );
    assert_eq!(home.read_cache("bob")["expiration"], session["expiration"]);
    let out = home.run(&["doctor"]).fails(9);
    assert!(
        out.stdout.contains("the Secret Service is locked"),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_names_plain_text_keys_of_mfa_users_and_keys_the_keychain_lacks() {
    let (_keyring, home) = keyring_home();
    let alice = moto().user(true);
    let bob = moto().user(false);
    home.user_account("alice", &alice)
        .user_account("bob", &bob)
        .profile("gone", &[("awsenv_keychain", "AKIAIOSFODNN7EXAMPLE")]);
    let out = home.run(&["doctor"]).fails(9);
    assert!(
        out.stdout.contains(&format!(
            "alice: the long-term key of a user with MFA is in plain text in {}: move it into the \
             Secret Service with awsenv import credentials alice",
            home.credentials_file().display()
        )),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("bob:"),
        "no MFA, no finding: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "gone: the Secret Service holds no secret for its key AKIAIOSFODNN7EXAMPLE: store it \
             with awsenv add gone"
        ),
        "{}",
        out.stdout
    );
    // Without a keychain to move them into, plain-text keys are not a finding.
    let home = Home::new();
    home.user_account("alice", &alice);
    let out = home.run(&["doctor"]);
    assert!(!out.stdout.contains("plain text"), "{}", out.stdout);
}

#[test]
fn login_signs_with_the_keychain_key() {
    let (_keyring, home) = keyring_home();
    let bob: User = moto().user(false);
    add(&home, "bob", &bob.access_key_id, &bob.secret_access_key).ok();
    let (endpoint, seen) = crate::login::signin_endpoint();
    let out = home
        .awsenv(&["login", "bob", "--print"])
        .env("AWSENV_SIGNIN_URL", &endpoint)
        .output()
        .unwrap();
    let out = home.output(out, false).ok();
    assert!(
        out.stdout.contains("SigninToken=signin-token-123"),
        "{}",
        out.stdout
    );
    assert!(seen.try_recv().is_ok(), "the sign-in endpoint was asked");
    assert!(
        moto()
            .calls_by(&bob.access_key_id)
            .iter()
            .any(|c| c == "GetFederationToken"),
        "signed with the keychain's key"
    );
}
