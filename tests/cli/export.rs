//! `awsenv export` in every format, each read back by its own reader (the real shells,
//! JSON, python-dotenv), and credential_process through the real AWS CLI and boto3.

use crate::support::{AWSENV, Home, moto, pty::Pty, venv_bin};
use serde_json::Value;
use std::process::Stdio;

/// bob's session, exported in a format, and what the cache holds for comparison.
fn export(home: &Home, format: &str) -> (String, Value) {
    let out = home.run(&["export", "bob", "--format", format]).ok();
    (out.stdout, home.read_cache("bob"))
}

const PRINT: &str = r#"printf '%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_REGION""#;

fn expected(cache: &Value) -> String {
    let v = |k: &str| cache[k].as_str().unwrap().to_owned();
    format!(
        "{}\n{}\n{}\n{}\neu-west-1\n",
        v("access_key_id"),
        v("secret_access_key"),
        v("session_token"),
        v("expiration")
    )
}

#[test]
fn every_shell_format_evaluates_back_in_its_shell() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    for (format, argv) in [
        ("bash", vec!["bash", "--norc", "-c"]),
        ("zsh", vec!["zsh", "-f", "-c"]),
        ("fish", vec!["fish", "--no-config", "-c"]),
    ] {
        let (code, cache) = export(&home, format);
        let script = match format {
            "fish" => format!(
                "{code}\nprintf '%s\\n' $AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_SESSION_TOKEN $AWS_CREDENTIAL_EXPIRATION $AWS_REGION"
            ),
            _ => format!("{code}\n{PRINT}"),
        };
        let mut cmd = home.command(argv[0]);
        cmd.args(&argv[1..]).arg(script);
        let out = home.output(cmd.output().unwrap(), false).ok();
        assert_eq!(out.stdout, expected(&cache), "{format}");
    }
}

#[test]
fn json_dotenv_env_powershell_and_cmd() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let (json, cache) = export(&home, "json");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], cache["access_key_id"]);
    assert_eq!(v["SecretAccessKey"], cache["secret_access_key"]);
    assert_eq!(v["SessionToken"], cache["session_token"]);
    assert_eq!(v["Expiration"], cache["expiration"]);

    let (dotenv, _) = export(&home, "dotenv");
    let path = home.dir.join("session.env");
    std::fs::write(&path, &dotenv).unwrap();
    let read = std::process::Command::new(venv_bin("python"))
        .args([
            "-c",
            "import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let parsed: Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(parsed["AWS_SESSION_TOKEN"], cache["session_token"]);
    assert_eq!(parsed["AWS_DEFAULT_REGION"], "eu-west-1");

    let (env, _) = export(&home, "env");
    let key = cache["access_key_id"].as_str().unwrap();
    assert!(
        env.lines().any(|l| l == format!("AWS_ACCESS_KEY_ID={key}")),
        "{env}"
    );

    let (ps, _) = export(&home, "powershell");
    assert!(
        ps.lines()
            .any(|l| l == format!("$Env:AWS_ACCESS_KEY_ID = '{key}';")),
        "{ps}"
    );
    assert!(
        ps.lines()
            .all(|l| l.starts_with("$Env:AWS_") && l.ends_with("';")),
        "{ps}"
    );

    let (cmd, _) = export(&home, "cmd");
    assert!(
        cmd.contains(&format!("set \"AWS_ACCESS_KEY_ID={key}\"\r\n")),
        "{cmd}"
    );
    assert_eq!(cmd.matches("\r\n").count(), 7, "one line a variable");
}

/// A profile that gets its credentials from awsenv, as the AWS CLI and SDKs read it.
fn credential_process_home() -> (Home, crate::support::User) {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice).profile(
        "alice-cp",
        &[
            (
                "credential_process",
                &format!("{AWSENV} export alice --format json"),
            ),
            ("region", "eu-west-1"),
        ],
    );
    (home, alice)
}

/// The real AWS CLI asking who the credential_process profile is.
fn who_is_alice_cp(home: &Home) -> std::process::Command {
    let mut cmd = home.command(venv_bin("aws"));
    cmd.args(["sts", "get-caller-identity", "--profile", "alice-cp"])
        .args(["--query", "Arn", "--output", "text"]);
    cmd
}

#[test]
fn credential_process_serves_the_aws_cli_and_boto3_from_the_cache() {
    let (home, alice) = credential_process_home();
    let code = moto().code(&alice);
    let cli = who_is_alice_cp(&home)
        .env("AWSENV_MFA_CODE", &code)
        .output()
        .unwrap();
    let cli = home.output(cli, true).ok();
    assert_eq!(cli.stdout.trim(), alice.arn);
    // botocore keeps a credential_process's stderr to itself; the cache shows what happened.
    assert_eq!(home.read_cache("alice")["kind"], "mfa");

    // boto3 gets the same session from the cache: no code, no new STS call.
    let boto = home
        .command(venv_bin("python"))
        .args([
            "-c",
            "import boto3; print(boto3.Session(profile_name='alice-cp').client('sts').get_caller_identity()['Arn'])",
        ])
        .output()
        .unwrap();
    let boto = home.output(boto, true).ok();
    assert_eq!(boto.stdout.trim(), alice.arn);
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn credential_process_asks_for_the_code_on_the_terminal() {
    let (home, alice) = credential_process_home();
    let mut cmd = who_is_alice_cp(&home);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.wait_for("MFA code for alice (");
    terminal.wait_for("): ");
    terminal.send(&format!("{}\n", moto().code(&alice)));
    let out = home.output(terminal.output(), true).ok();
    assert_eq!(out.stdout.trim(), alice.arn);
}
