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
    home.aws_caller("alice-cp")
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

/// The variables a .env file carries, in the order the readers below print them.
const DOTENV_VARS: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
];

/// What each .env reader available here makes of `dotenv`, run in the test's home (where a
/// `$(touch pwned)` that ran would leave its file): the five values, one a line.
fn read_dotenv(home: &Home, dotenv: &str) -> Vec<(&'static str, String)> {
    let path = home.dir.join("session.env");
    std::fs::write(&path, dotenv).unwrap();
    let mut read = Vec::new();
    let print = DOTENV_VARS.map(|v| format!("\"${v}\"")).join(" ");
    for sh in ["dash", "bash"] {
        let mut cmd = home.command(sh);
        cmd.current_dir(&home.dir).args([
            "-c",
            &format!("set -a; . ./session.env; printf '%s\\n' {print}"),
        ]);
        read.push((sh, home.output(cmd.output().unwrap(), false).ok().stdout));
    }
    let mut python = home.command(venv_bin("python"));
    python.current_dir(&home.dir).args([
        "-c",
        "import dotenv, sys; v = dotenv.dotenv_values('session.env'); \
         sys.stdout.write(''.join(v[k] + '\\n' for k in sys.argv[1:]))",
    ]);
    python.args(DOTENV_VARS);
    read.push((
        "python-dotenv",
        home.output(python.output().unwrap(), false).ok().stdout,
    ));
    // docker compose reads .env files too, but needs its plugin: use it where it works.
    static COMPOSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let compose = *COMPOSE.get_or_init(|| {
        let works = home
            .command("docker")
            .args(["compose", "version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !works {
            eprintln!("note: `docker compose` does not work here; .env files not read by compose");
        }
        works
    });
    if compose {
        std::fs::write(
            home.dir.join("compose.yaml"),
            "services:\n  s:\n    image: busybox\n    env_file: session.env\n",
        )
        .unwrap();
        let mut cmd = home.command("docker");
        cmd.current_dir(&home.dir)
            .args(["compose", "config", "--format", "json"]);
        let out = home.output(cmd.output().unwrap(), false).ok();
        let config: Value = serde_json::from_str(&out.stdout).unwrap();
        let env = &config["services"]["s"]["environment"];
        let values: String = DOTENV_VARS
            .iter()
            // `config` doubles a literal `$` so that its output can be read again.
            .map(|v| {
                format!(
                    "{}\n",
                    env[*v].as_str().unwrap_or("(unset)").replace("$$", "$")
                )
            })
            .collect();
        read.push(("docker compose", values));
    }
    read
}

/// The five values as the cache and the profile hold them.
fn dotenv_expected(cache: &Value, region: &str) -> String {
    let v = |k: &str| cache[k].as_str().unwrap().to_owned();
    format!(
        "{}\n{}\n{}\n{}\n{region}\n",
        v("access_key_id"),
        v("secret_access_key"),
        v("session_token"),
        v("expiration")
    )
}

fn assert_nothing_ran(home: &Home) {
    let ran: Vec<_> = std::fs::read_dir(&home.dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("pwned"))
        .collect();
    assert!(ran.is_empty(), "a .env reader ran code: {ran:?}");
}

#[test]
fn dotenv_values_read_back_alike_and_run_nothing() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    export(&home, "dotenv");
    let mut cache = home.read_cache("bob");
    // Values STS would never send, but a cache file can hold: each reader must take them as
    // they are (double quotes would run the first two in sh).
    for token in [
        "FwoGZX+/=plain",
        "t$(touch pwned-subst)`touch pwned-backtick`",
        "t\"$(touch pwned-dq)\" $HOME #comment",
        " spaced ",
        "",
    ] {
        cache["session_token"] = Value::from(token);
        home.write_cache("bob", &cache);
        let (dotenv, cache) = export(&home, "dotenv");
        for (reader, values) in read_dotenv(&home, &dotenv) {
            assert_eq!(
                values,
                dotenv_expected(&cache, "eu-west-1"),
                "{reader} read {dotenv}"
            );
        }
        assert_nothing_ran(&home);
    }
}

#[test]
fn dotenv_refuses_what_no_quoting_keeps_for_every_reader() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    export(&home, "dotenv");
    let mut cache = home.read_cache("bob");
    for token in [
        // A cached token with a space or a control character is not used at all (the cache
        // ignores it); these are the visible characters no dotenv quoting keeps.
        "t'$(touch${IFS}pwned-sq)'",
        "t\\'$(touch${IFS}pwned-bs)",
        "t${HOME}",
    ] {
        cache["session_token"] = Value::from(token);
        home.write_cache("bob", &cache);
        let out = home.run(&["export", "bob", "--format", "dotenv"]).fails(3);
        assert_eq!(out.stdout, "", "{token:?}");
        assert!(
            out.stderr
                .contains("AWS_SESSION_TOKEN holds a quote, a backslash"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_hostile_region_never_reaches_a_dotenv_file() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    export(&home, "dotenv");
    let region = "$(touch pwned-region)`touch pwned-tick`";
    let config = std::fs::read_to_string(home.config_file()).unwrap();
    let config = config.replace("region = eu-west-1", &format!("region = {region}"));
    std::fs::write(home.config_file(), config).unwrap();
    // Refused where the profile is read, before any format is chosen.
    let out = home.run(&["export", "bob", "--format", "dotenv"]).fails(3);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("bob: region "), "{}", out.stderr);
    assert_nothing_ran(&home);
}
