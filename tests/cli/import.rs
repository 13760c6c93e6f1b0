//! `awsenv import aws-creds`: the ec2switch directory becomes profiles that work, and nothing
//! that exists is overwritten.

use crate::support::{Home, moto};

#[test]
fn an_aws_creds_directory_becomes_working_profiles() {
    let home = Home::new();
    let (alice, bob, other) = (moto().user(true), moto().user(false), moto().user(false));
    let dir = home.dir.join("aws-creds");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, text: &str| std::fs::write(dir.join(file), text).unwrap();
    for (name, user) in [("alice", &alice), ("bob", &bob), ("taken", &other)] {
        write(
            &format!("{name}.access_key"),
            &format!("{}\n", user.access_key_id),
        );
        write(
            &format!("{name}.secret_key"),
            &format!("{}\n", user.secret_access_key),
        );
    }
    write("alice.user", &alice.name);
    write("alice.cache", "{}");
    write("half.access_key", "AKIAHALFONLY\n");
    write(
        "accounts.json",
        r#"{"alice": "arn:aws:iam::123456789012:", "bob": "arn:aws:iam::123456789012:"}"#,
    );
    home.profile("taken", &[("region", "us-east-2")]);
    let config_taken = std::fs::read_to_string(home.config_file()).unwrap();

    let run = || {
        let out = home
            .awsenv(&["import", "aws-creds", dir.to_str().unwrap()])
            .env("USER", "bobuser")
            .output()
            .unwrap();
        home.output(out, true).ok()
    };
    let out = run();
    let alice_serial = format!("arn:aws:iam::123456789012:mfa/{}", alice.name);
    for line in [
        format!("awsenv: alice: imported as a profile, mfa_serial {alice_serial}"),
        "awsenv: bob: imported as a profile, mfa_serial arn:aws:iam::123456789012:mfa/bobuser"
            .to_owned(),
        "awsenv: half: no half.secret_key beside the access key; skipped".to_owned(),
        "awsenv: taken: a profile of that name exists; left as it is".to_owned(),
        "awsenv: imported 2 account(s) into".to_owned(),
    ] {
        assert!(out.stderr.contains(&line), "{line}\n{}", out.stderr);
    }
    let config = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(config.starts_with(&config_taken), "what was there stays");
    assert!(config.contains(&format!("[profile alice]\nmfa_serial = {alice_serial}\n")));

    // The imported profile works: its device is the one the old tools assumed.
    let out = home
        .run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    assert!(
        out.stderr.contains("alice: new MFA session"),
        "{}",
        out.stderr
    );

    // Again: nothing changes.
    let (config, credentials) = (
        std::fs::read(home.config_file()).unwrap(),
        std::fs::read(home.credentials_file()).unwrap(),
    );
    let out = run();
    assert!(
        out.stderr.contains("awsenv: imported 0 account(s)"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(home.config_file()).unwrap(), config);
    assert_eq!(std::fs::read(home.credentials_file()).unwrap(), credentials);
}

#[test]
fn a_bad_accounts_entry_is_named_and_skipped() {
    let home = Home::new();
    let dir = home.dir.join("aws-creds");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.access_key"), "AKIA").unwrap();
    std::fs::write(dir.join("accounts.json"), r#"{"a": "987654321012"}"#).unwrap();
    let out = home
        .run(&["import", "aws-creds", dir.to_str().unwrap()])
        .ok();
    assert!(
        out.stderr
            .contains("a is 987654321012, not arn:aws:iam::ACCOUNT_ID:"),
        "{}",
        out.stderr
    );
}
