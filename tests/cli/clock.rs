//! A machine whose clock is off AWS's by an hour either way: awsenv counts a session's time
//! by AWS's clock (the Date of STS's answer), so it neither shows nor keeps a wrong lifetime,
//! and the expiration it exports is one the machine's own tools (botocore, starship) read
//! right. The patched moto plays AWS with its clock moved for one user (POST /_awsenv/clock).

use crate::support::{Home, moto};

fn exported_expiration(home: &Home, account: &str) -> i64 {
    let out = home
        .bash(&format!(
            "eval \"$(awsenv switch {account} 2>/dev/null)\"; date -d \"$AWS_CREDENTIAL_EXPIRATION\" +%s"
        ))
        .ok();
    out.stdout.trim().parse().unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_clock_an_hour_slow_neither_shows_nor_keeps_an_hour_too_many() {
    let home = Home::new();
    let alice = moto().user(true);
    moto().clock(&alice, 3600);
    home.user_account("alice", &alice);
    let out = home
        .run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    assert!(
        out.stderr
            .contains("this machine's clock is 1h behind AWS's"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("alice: new MFA session, 12h"),
        "{}",
        out.stderr
    );
    let left = exported_expiration(&home, "alice") - now();
    assert!((43_100..=43_200).contains(&left), "{left}");
    // The AWS CLI, on this machine's clock, takes the exported session as valid.
    let out = home
        .run(&[
            "exec",
            "alice",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), alice.arn);
}

#[test]
fn a_clock_an_hour_fast_keeps_its_role_session_for_the_hour() {
    let home = Home::new();
    let alice = moto().user(true);
    moto().clock(&alice, -3600);
    let role = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &role, "alice");
    let out = home
        .run(&["switch", "admin", "--code", &moto().code(&alice)])
        .ok();
    assert!(
        out.stderr
            .contains("this machine's clock is 1h ahead of AWS's"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("admin: new role session, 1h"),
        "{}",
        out.stderr
    );
    // Not a new AssumeRole at every switch: the cached session has its hour.
    let out = home.run(&["switch", "admin"]).ok();
    assert!(
        out.stderr
            .contains("admin: using cached role session, 1h left"),
        "{}",
        out.stderr
    );
    assert_eq!(moto().assume_role_calls(&home, "alice"), 1);
    let left = exported_expiration(&home, "admin") - now();
    assert!((3_500..=3_600).contains(&left), "{left}");
    let out = home.run(&["list"]).ok();
    assert!(out.stdout.contains("role 1h"), "{}", out.stdout);
}
