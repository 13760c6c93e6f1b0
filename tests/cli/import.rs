//! `awsenv import aws-creds`: the ec2switch directory becomes profiles that work, and nothing
//! that exists is overwritten.

use crate::support::{Home, moto, venv_bin};

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

/// An aws-creds directory beside a home, with `files` written into it as bytes.
fn creds_dir(home: &Home, files: &[(&[u8], &[u8])]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let dir = home.dir.join("aws-creds");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in files {
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(name)), content).unwrap();
    }
    dir
}

const KEY: &[u8] = b"AKIAIOSFODNN7EXAMPLE\n";
const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
const INJECTED: &str = "[default]\ncredential_process = touch pwned";

/// The profiles botocore (the AWS CLI's reader) finds in the home's files.
fn aws_profiles(home: &Home) -> Vec<String> {
    let out = home
        .command(venv_bin("python"))
        .args([
            "-c",
            "import botocore.session; print(*botocore.session.Session().available_profiles, sep='\\n')",
        ])
        .output()
        .unwrap();
    let out = home.output(out, true).ok();
    let mut profiles: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    profiles.sort();
    profiles
}

#[test]
fn hostile_files_are_named_and_skipped_and_add_no_section() {
    let home = Home::new();
    let injected_secret = format!("secret\n{INJECTED}\n");
    let injected_key = format!("AKIAIOSFODNN7EXAMPLE\n{INJECTED}\n");
    let injected_user = format!("alice\n{INJECTED}\n");
    let injected_name = format!("x]\n{INJECTED}\n[y");
    let files: Vec<(Vec<u8>, Vec<u8>)> =
        vec![
        // One good account: the others must not stop it.
        (b"good.access_key".to_vec(), KEY.to_vec()),
        (b"good.secret_key".to_vec(), SECRET.to_vec()),
        (b"good.user".to_vec(), b"alice\n".to_vec()),
        (b"evilsecret.access_key".to_vec(), KEY.to_vec()),
        (b"evilsecret.secret_key".to_vec(), injected_secret.into_bytes()),
        (b"evilkey.access_key".to_vec(), injected_key.into_bytes()),
        (b"evilkey.secret_key".to_vec(), SECRET.to_vec()),
        (b"eviluser.access_key".to_vec(), KEY.to_vec()),
        (b"eviluser.secret_key".to_vec(), SECRET.to_vec()),
        (b"eviluser.user".to_vec(), injected_user.into_bytes()),
        (format!("{injected_name}.access_key").into_bytes(), KEY.to_vec()),
        (format!("{injected_name}.secret_key").into_bytes(), SECRET.to_vec()),
        (b"esc\x1b]0;pwned\x07.access_key".to_vec(), KEY.to_vec()),
        (b"esc\x1b]0;pwned\x07.secret_key".to_vec(), SECRET.to_vec()),
        (b"-flag.access_key".to_vec(), KEY.to_vec()),
        (b"-flag.secret_key".to_vec(), SECRET.to_vec()),
        (b"bytes.access_key".to_vec(), KEY.to_vec()),
        (b"bytes.secret_key".to_vec(), b"wJalr\xff\xfe\n".to_vec()),
        (b"notutf8\xff.access_key".to_vec(), KEY.to_vec()),
        (b"notutf8\xff.secret_key".to_vec(), SECRET.to_vec()),
        (
            b"accounts.json".to_vec(),
            br#"{"good": "arn:aws:iam::123456789012:", "eviluser": "arn:aws:iam::123456789012:"}"#
                .to_vec(),
        ),
    ];
    let files: Vec<(&[u8], &[u8])> = files
        .iter()
        .map(|(n, c)| (n.as_slice(), c.as_slice()))
        .collect();
    let dir = creds_dir(&home, &files);
    home.profile("existing", &[("region", "eu-west-1")]);
    let config_before = std::fs::read_to_string(home.config_file()).unwrap();

    let out = home
        .run(&["import", "aws-creds", dir.to_str().unwrap()])
        .ok();
    let not_a_name = "not a profile name awsenv imports (1 to 64 of A-Z, a-z, 0-9 and _.-+@=, \
                      not starting with . or - nor ending with .); skipped";
    for line in [
        "awsenv: good: imported as a profile, mfa_serial arn:aws:iam::123456789012:mfa/alice"
            .to_owned(),
        "awsenv: evilsecret: evilsecret.secret_key does not hold a secret access key".to_owned(),
        "awsenv: evilkey: evilkey.access_key does not hold an access key ID".to_owned(),
        "awsenv: eviluser: eviluser.user holds \"alice [default] credential_process = touch \
         pwned\", not an IAM user name"
            .to_owned(),
        format!("awsenv: x] [default] credential_process = touch pwned [y: {not_a_name}"),
        format!("awsenv: esc\\u{{1b}}]0;pwned\\u{{7}}: {not_a_name}"),
        format!("awsenv: -flag: {not_a_name}"),
        "awsenv: bytes: bytes.secret_key does not hold a secret access key".to_owned(),
        format!("awsenv: notutf8\u{fffd}: {not_a_name}"),
        "awsenv: imported 1 account(s)".to_owned(),
    ] {
        assert!(out.stderr.contains(&line), "{line}\n{}", out.stderr);
    }
    assert!(!out.stderr.contains('\x1b'), "{}", out.stderr);
    assert!(
        !out.stderr.contains("wJalr"),
        "no secret is shown: {}",
        out.stderr
    );

    let credentials = std::fs::read_to_string(home.credentials_file()).unwrap();
    assert_eq!(
        credentials,
        "[good]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    );
    assert_eq!(
        std::fs::read_to_string(home.config_file()).unwrap(),
        format!(
            "{config_before}\n[profile good]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n"
        )
    );
    assert_eq!(aws_profiles(&home), ["existing", "good"]);
    assert!(!home.dir.join("pwned").exists());
}

#[test]
fn a_user_name_from_the_environment_is_checked_too() {
    let home = Home::new();
    let dir = creds_dir(
        &home,
        &[
            (b"a.access_key", KEY),
            (b"a.secret_key", SECRET),
            (b"accounts.json", br#"{"a": "arn:aws:iam::123456789012:"}"#),
        ],
    );
    let out = home
        .awsenv(&["import", "aws-creds", dir.to_str().unwrap()])
        .env("USER", "DOMAIN\\alice")
        .output()
        .unwrap();
    let out = home.output(out, true).ok();
    assert!(
        out.stderr.contains(
            "awsenv: a: imported as a profile, without mfa_serial ($USER is \"DOMAIN\\alice\", \
             not an IAM user name; write the user into a.user)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !home.config_file().exists()
            || !std::fs::read_to_string(home.config_file())
                .unwrap()
                .contains("mfa_serial")
    );
    assert_eq!(aws_profiles(&home), ["a"]);
}
