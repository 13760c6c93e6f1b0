//! Sessions that stay alive: a role assumed from an MFA session renews itself in every shell,
//! with one MFA code at the start, for as long as the MFA session lasts. The patched moto
//! caps the sessions it issues to these tests' users (AWS's 15-minute minimum would make
//! renewal take hours) and refuses them once expired, as AWS does.
//!
//! The scenarios each take a minute or two of real time, so one test runs them side by side,
//! each with its own users and shells.

use crate::support::{Home, User, assert_no_secret, moto, register_secret};
use crate::{ALL, Rc, Sh, Terminal};
use std::time::{Duration, Instant};

const WHOAMI: &str = "aws sts get-caller-identity --query Arn --output text";

#[test]
fn role_sessions_renew_themselves_in_every_shell() {
    let scenarios: Vec<(&str, fn())> = vec![
        ("busy shells", busy_shells_on_one_role),
        ("idle shells", idle_shells),
        ("the MFA session ends", the_mfa_session_ends),
    ];
    let running: Vec<_> = scenarios
        .into_iter()
        .map(|(name, scenario)| (name, std::thread::spawn(scenario)))
        .collect();
    let failed: Vec<&str> = running
        .into_iter()
        .filter_map(|(name, thread)| thread.join().is_err().then_some(name))
        .collect();
    assert!(
        failed.is_empty(),
        "failed: {failed:?} (their panics are above)"
    );
}

/// Role sessions of 40 s with a 15 s margin, and a command every few seconds for two minutes
/// in bash, zsh and fish at once: every command has working role credentials, one MFA code
/// is asked for in all, and each renewal is one AssumeRole, whichever shells wanted it.
fn busy_shells_on_one_role() {
    let (home, alice) = role_home(40, None);
    let mut shells: Vec<(Sh, Terminal)> = ALL
        .iter()
        .map(|&sh| (sh, terminal(&home, sh, "15")))
        .collect();
    switch_with_code(&mut shells[0].1, &alice);
    for (_, t) in &mut shells[1..] {
        let out = t.run("awsenv switch admin");
        assert!(out.contains("using cached role session"), "{out}");
    }
    let start = Instant::now();
    let mut commands = 0;
    while start.elapsed() < Duration::from_secs(120) {
        for (sh, t) in &mut shells {
            let out = t.run(WHOAMI);
            assert!(
                out.contains(":assumed-role/"),
                "{sh:?} after {:?}: {out}",
                start.elapsed()
            );
            commands += 1;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let elapsed = start.elapsed().as_secs();
    let assumed = assume_role_calls(&home);
    // A renewal every 25-27 s: four or five in two minutes, plus the switch.
    assert!(
        (elapsed / 40 + 1..=elapsed / 25 + 2).contains(&assumed),
        "{assumed} AssumeRole calls in {elapsed}s for {commands} commands in 3 shells"
    );
    assert_eq!(
        moto().calls_by(&alice.access_key_id),
        ["GetSessionToken"],
        "one MFA session"
    );
    for (sh, t) in &shells {
        let screen = t.pty.screen();
        let asked = usize::from(*sh == shells[0].0);
        assert_eq!(screen.matches("MFA code for").count(), asked, "{sh:?}");
        no_secret_on(&home, &screen);
    }
}

/// After 50 s idle at the prompt (the 40 s role session long over), the next command has
/// working credentials: the shell renews right before it runs.
fn idle_shells() {
    let idle: Vec<_> = ALL
        .into_iter()
        .map(|sh| {
            std::thread::spawn(move || {
                let (home, alice) = role_home(40, None);
                let mut t = terminal(&home, sh, "15");
                switch_with_code(&mut t, &alice);
                t.next_prompt();
                std::thread::sleep(Duration::from_secs(50));
                let out = t.run(WHOAMI);
                assert!(out.contains(":assumed-role/"), "{sh:?}: {out}");
                assert!(!out.contains("awsenv:"), "{sh:?}: renewal is silent: {out}");
                assert_eq!(assume_role_calls(&home), 2, "{sh:?}");
                no_secret_on(&home, &t.pty.screen());
            })
        })
        .collect();
    for shell in idle {
        shell.join().unwrap();
    }
}

/// An MFA session of 50 s behind role sessions of 20 s (margin 10 s): the role renews while
/// the MFA session is fresh; then the shell says once what to run, asks nothing in the
/// background, and keeps its last role session to its end.
fn the_mfa_session_ends() {
    let ending: Vec<_> = ALL
        .into_iter()
        .map(|sh| {
            std::thread::spawn(move || {
                let (home, alice) = role_home(20, Some(50));
                let mut t = terminal(&home, sh, "10");
                let start = Instant::now();
                switch_with_code(&mut t, &alice);
                let told = "admin: not renewed, alice needs a new MFA code: run awsenv mfa";
                while !t.pty.screen().contains(told) {
                    let out = t.run(WHOAMI);
                    assert!(out.contains(":assumed-role/"), "{sh:?}: {out}");
                    assert!(
                        start.elapsed() < Duration::from_secs(70),
                        "{sh:?}: never told"
                    );
                    std::thread::sleep(Duration::from_secs(2));
                }
                // Not before the MFA session entered its margin.
                assert!(start.elapsed() > Duration::from_secs(38), "{sh:?}");
                assert!(assume_role_calls(&home) >= 3, "{sh:?}: renewed until then");
                // The last role session, taken less than 20 s ago, still works a while.
                let out = t.run(WHOAMI);
                assert!(out.contains(":assumed-role/"), "{sh:?}: {out}");
                std::thread::sleep(Duration::from_secs(20));
                let out = t.run(WHOAMI);
                assert!(!out.contains(":assumed-role/"), "{sh:?}: {out}");
                assert_eq!(t.prompt(), "admin expired", "{sh:?}");
                let screen = t.pty.screen();
                assert_eq!(
                    screen.matches(told).count(),
                    1,
                    "{sh:?}: said once: {screen}"
                );
                assert_eq!(screen.matches("MFA code for").count(), 1, "{sh:?}");
                assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
                no_secret_on(&home, &screen);
            })
        })
        .collect();
    for shell in ending {
        shell.join().unwrap();
    }
}

/// A home with alice (an MFA user) and `admin`, a role assumed from her MFA session; moto
/// caps her role sessions to `role` seconds and her MFA sessions to `session`.
fn role_home(role: u32, session: Option<u32>) -> (Home, User) {
    let home = Home::new();
    let alice = moto().user(true);
    moto().lifetimes(&alice, Some(role), session);
    let arn = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &arn, "alice");
    (home, alice)
}

fn terminal(home: &Home, sh: Sh, margin: &str) -> Terminal {
    let env = [("AWSENV_EXPIRY_MARGIN", margin)];
    let rc = Rc {
        env: &env,
        ..Rc::default()
    };
    Terminal::start_with(home, sh, &rc)
}

/// `awsenv switch admin`, answering the MFA prompt for alice.
fn switch_with_code(t: &mut Terminal, alice: &User) {
    t.pty.send("awsenv switch admin\n");
    t.pty.wait_for("MFA code for alice (");
    t.pty.wait_for("): ");
    t.pty.send(&format!("{}\n", moto().code(alice)));
    t.pty.wait_for("awsenv: admin: new role session");
}

/// AssumeRole calls made with alice's MFA session.
fn assume_role_calls(home: &Home) -> u64 {
    moto().assume_role_calls(home, "alice") as u64
}

/// Fails if the terminal shows a secret: alice's or admin's cached, or any seen before.
fn no_secret_on(home: &Home, screen: &str) {
    for account in ["alice", "admin"] {
        let cached = home.read_cache(account);
        for key in ["secret_access_key", "session_token"] {
            register_secret(cached[key].as_str().unwrap());
        }
    }
    assert_no_secret(screen, "the terminal");
}
