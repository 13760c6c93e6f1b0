//! `awsenv doctor`: a clean setup passes; each kind of breakage is one finding that says
//! how to fix it, and the exit status says something was found.

use crate::support::Home;
use std::os::unix::fs::PermissionsExt;

const CONFIG: &str = "\
[default]
region = us-east-1

[profile personal]
region = eu-west-1
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = personal
";
const CREDENTIALS: &str = "\
[personal]
aws_access_key_id = AKIAEXAMPLEDOCTOR001
aws_secret_access_key = not-a-real-secret-key-just-for-the-doctor
";
const BASHRC: &str = "PS1='$ '\neval \"$(awsenv init bash)\"\n";

fn home(config: &str, credentials: &str, bashrc: &str) -> Home {
    let home = Home::new();
    std::fs::write(home.config_file(), config).unwrap();
    std::fs::write(home.credentials_file(), credentials).unwrap();
    std::fs::set_permissions(
        home.credentials_file(),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::write(home.dir.join(".bashrc"), bashrc).unwrap();
    home
}

fn doctor(home: &Home, path: Option<&str>) -> (Option<i32>, Vec<String>) {
    let mut cmd = home.awsenv(&["doctor"]);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = home.output(cmd.output().unwrap(), true);
    let lines = out.stdout.lines().map(str::to_owned).collect();
    (out.code, lines)
}

#[test]
fn a_clean_setup_passes() {
    let home = home(CONFIG, CREDENTIALS, BASHRC);
    let (code, lines) = doctor(&home, None);
    assert_eq!(lines, ["no problems found"]);
    assert_eq!(code, Some(0));
}

#[test]
fn each_breakage_is_one_finding() {
    let loops = "\n[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
                 [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n";
    let cases: Vec<(&str, String, String, String, &str)> = vec![
        (
            "a key twice",
            CONFIG.replace(
                "region = eu-west-1\n",
                "region = eu-west-1\nregion = eu-west-2\n",
            ),
            CREDENTIALS.into(),
            BASHRC.into(),
            "config:6: [profile personal] region is set again (first on line 5): awsenv and the \
             AWS SDKs take this one, botocore (the AWS CLI, boto3) refuses the whole file",
        ),
        (
            "conflicting files",
            CONFIG.into(),
            format!("{CREDENTIALS}region = us-west-2\n"),
            BASHRC.into(),
            "personal: region is eu-west-1 in",
        ),
        (
            "a section twice",
            format!("{CONFIG}\n[profile admin]\nexternal_id = x1\n"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "config:12: [profile admin] appears again (first on line 8): awsenv and the AWS SDKs \
             merge the two, botocore (the AWS CLI, boto3) refuses the whole file",
        ),
        (
            "[default] beside [profile default]",
            format!("{CONFIG}\n[profile default]\noutput = json\n"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "config:12: [profile default] and [default] (line 1) both set the default profile: \
             awsenv and the AWS SDKs read only [profile default]",
        ),
        (
            "a setting botocore reads and the SDKs refuse",
            CONFIG.replace("region = eu-west-1", "region: eu-west-1"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "config line 5: a line without = (botocore, under the AWS CLI, reads key: value, the \
             AWS SDKs do not); the AWS SDKs refuse the whole file, and so does awsenv",
        ),
        (
            "a role without source",
            CONFIG.replace("source_profile = personal\n", ""),
            CREDENTIALS.into(),
            BASHRC.into(),
            "admin: role_arn needs a source_profile",
        ),
        (
            "a missing source",
            CONFIG.replace("source_profile = personal", "source_profile = nobody"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "admin: source_profile 'nobody' does not exist",
        ),
        (
            "a loop",
            format!("{CONFIG}{loops}"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "the source_profile chain loops: a -> b -> a",
        ),
        (
            "a malformed role ARN",
            CONFIG.replace("123456789012:role/admin", "12345:role/admin"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "admin: role_arn arn:aws:iam::12345:role/admin is not",
        ),
        (
            "a malformed mfa_serial",
            CONFIG.replace(":mfa/alice", ":user/alice"),
            CREDENTIALS.into(),
            BASHRC.into(),
            "personal: mfa_serial arn:aws:iam::123456789012:user/alice is neither",
        ),
        (
            "a duration over the limit",
            CONFIG.replace(
                "source_profile = personal\n",
                "source_profile = personal\nduration_seconds = 50000\n",
            ),
            CREDENTIALS.into(),
            BASHRC.into(),
            "admin: an AssumeRole session lasts 15m to 12h",
        ),
        (
            "no integration",
            CONFIG.into(),
            CREDENTIALS.into(),
            "PS1='$ '\n".into(),
            "the shell integration is not in",
        ),
        (
            "integration undone",
            CONFIG.into(),
            CREDENTIALS.into(),
            format!("{BASHRC}PROMPT_COMMAND='history -a'\n"),
            "undoes awsenv after its line (PROMPT_COMMAND='history -a')",
        ),
        (
            "a later DEBUG trap",
            CONFIG.into(),
            CREDENTIALS.into(),
            format!("{BASHRC}trap 'echo hi' DEBUG\n"),
            "undoes awsenv after its line (trap 'echo hi' DEBUG)",
        ),
    ];
    for (what, config, credentials, bashrc, expected) in cases {
        let home = home(&config, &credentials, &bashrc);
        let (code, lines) = doctor(&home, None);
        assert_eq!(code, Some(9), "{what}: {lines:?}");
        assert_eq!(
            lines.len(),
            2,
            "{what}: one finding and the count: {lines:?}"
        );
        assert!(lines[0].contains(expected), "{what}: {lines:?}");
        assert_eq!(lines[1], "1 finding(s)", "{what}");
    }
}

#[test]
fn what_is_fine_stays_quiet_and_what_is_hidden_is_found() {
    let sso = "\n[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\n";
    let fine = [
        format!("{CONFIG}{sso}\n[sso-session corp]\nsso_region = eu-west-1\n"),
        CONFIG.to_owned(),
    ];
    for (config, bashrc) in [
        (fine[0].clone(), BASHRC.to_owned()),
        (
            fine[1].clone(),
            format!("{BASHRC}PROMPT_COMMAND=\"history -a; ${{PROMPT_COMMAND}}\"\n"),
        ),
    ] {
        let home = home(&config, CREDENTIALS, &bashrc);
        let (code, lines) = doctor(&home, None);
        assert_eq!(lines, ["no problems found"], "{config}\n{bashrc}");
        assert_eq!(code, Some(0));
    }
    // A comment after a value: AWS's tools read the line differently.
    let commented = CONFIG.replace(":mfa/alice", ":mfa/alice  # phone");
    let home = home(&commented, CREDENTIALS, BASHRC);
    let (_, lines) = doctor(&home, None);
    assert!(
        lines[0].ends_with(
            "config:6: [profile personal] mfa_serial is arn:aws:iam::123456789012:mfa/alice for \
             awsenv and the AWS SDKs, but botocore (the AWS CLI, boto3) keeps the comment: \
             arn:aws:iam::123456789012:mfa/alice  # phone: put the comment on a line of its own"
        ),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    // Keys readable by others.
    let home = self::home(CONFIG, CREDENTIALS, BASHRC);
    std::fs::set_permissions(
        home.credentials_file(),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (_, lines) = doctor(&home, None);
    assert!(
        lines[0].contains("holds keys and others may read it (mode 644)"),
        "{lines:?}"
    );
    // A token that differs between the files is named, never shown.
    let home = self::home(
        &CONFIG.replace(
            "region = eu-west-1\n",
            "region = eu-west-1\naws_session_token = config-token-value\n",
        ),
        &format!("{CREDENTIALS}aws_session_token = credentials-token-value\n"),
        BASHRC,
    );
    let (_, lines) = doctor(&home, None);
    let all = lines.join("\n");
    assert!(all.contains("aws_session_token is one value in"), "{all}");
    assert!(!all.contains("token-value"), "{all}");
}

#[test]
fn cache_and_installation_findings() {
    // A cache directory open to others.
    let home = home(CONFIG, CREDENTIALS, BASHRC);
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::set_permissions(home.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, lines) = doctor(&home, None);
    assert_eq!(code, Some(9));
    assert!(
        lines[0].contains("is open to others (mode 755)"),
        "{lines:?}"
    );

    // A session file that is not one.
    let home = self::home(CONFIG, CREDENTIALS, BASHRC);
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::set_permissions(home.cache_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(home.cache_file("personal"), "garbage").unwrap();
    std::fs::set_permissions(
        home.cache_file("personal"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let (_, lines) = doctor(&home, None);
    assert!(
        lines[0].starts_with(
            "personal: its cached session is not used, it is not a valid session file"
        ),
        "{lines:?}"
    );

    // Another awsenv first on PATH.
    let home = self::home(CONFIG, CREDENTIALS, BASHRC);
    let old = home.dir.join("old-bin");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("awsenv"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(old.join("awsenv"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", old.display());
    let (code, lines) = doctor(&home, Some(&path));
    assert_eq!(code, Some(9));
    assert!(lines[0].contains("the awsenv on PATH is"), "{lines:?}");
}

/// What botocore (the AWS CLI's and boto3's reader) makes of both files: its profiles from
/// the config file and its sections of the credentials file, or "refused".
fn botocore_reads(home: &Home) -> serde_json::Value {
    let script = "\
import json, sys, botocore.configloader as c, botocore.exceptions as e
out = {}
for kind, path in (('config', sys.argv[1]), ('credentials', sys.argv[2])):
    try:
        out[kind] = c.load_config(path)['profiles'] if kind == 'config' else c.raw_config_parse(path)
    except e.ConfigParseError:
        out[kind] = 'refused'
print(json.dumps(out))
";
    let (config, credentials) = (home.config_file(), home.credentials_file());
    let out = crate::support::python(script, &[config.as_os_str(), credentials.as_os_str()]);
    serde_json::from_str(&out).unwrap()
}

/// Each line doctor says botocore reads differently, checked against botocore itself.
#[test]
fn what_doctor_says_of_botocore_is_what_botocore_does() {
    type Check = fn(&serde_json::Value) -> bool;
    let cases: [(&str, &str, &str, Check); 12] = [
        (
            "[profile p]\nregion = eu-west-1 # Ireland\n",
            "",
            "config:2: [profile p] region is eu-west-1 for awsenv and the AWS SDKs, but botocore \
             (the AWS CLI, boto3) keeps the comment: eu-west-1 # Ireland",
            |b| b["config"]["p"]["region"] == "eu-west-1 # Ireland",
        ),
        (
            "[profile p]\nregion = eu-west-1\nregion = eu-west-2\n",
            "",
            "config:3: [profile p] region is set again (first on line 2): awsenv and the AWS SDKs \
             take this one, botocore (the AWS CLI, boto3) refuses the whole file",
            |b| b["config"] == "refused",
        ),
        (
            "[profile p]\nregion = eu-west-1\n[profile p]\noutput = json\n",
            "",
            "config:3: [profile p] appears again (first on line 1): awsenv and the AWS SDKs merge \
             the two, botocore (the AWS CLI, boto3) refuses the whole file",
            |b| b["config"] == "refused",
        ),
        (
            "[profile \"a b\"]\nregion = eu-west-1\n",
            "",
            "config:1: [profile \"a b\"]: awsenv and botocore (the AWS CLI, boto3) read it as the \
             profile a b, the AWS SDKs do not read it as a profile",
            |b| b["config"]["a b"]["region"] == "eu-west-1",
        ),
        (
            "[ profile q ]\nregion = eu-west-1\n",
            "",
            "config:1: [ profile q ]: awsenv and the AWS SDKs read it as the profile q, botocore \
             (the AWS CLI, boto3) does not read it as a profile",
            |b| b["config"].as_object().unwrap().is_empty(),
        ),
        (
            "[profile p]\nregion = eu-west-1\n  # note\n",
            "",
            "config:3: this indented comment is part of the value of region (line 2) for awsenv \
             and the AWS SDKs, botocore (the AWS CLI, boto3) skips it",
            |b| b["config"]["p"]["region"] == "eu-west-1",
        ),
        (
            "[default]\nregion = eu-west-1\n[profile default]\noutput = json\n",
            "",
            "config:3: [profile default] and [default] (line 1) both set the default profile: \
             awsenv and the AWS SDKs read only [profile default], botocore (the AWS CLI, boto3) \
             only the one that comes last",
            |b| b["config"]["default"] == serde_json::json!({"output": "json"}),
        ),
        (
            "[profile p]\nregion = eu-west-1\n[profile  p]\noutput = json\n",
            "",
            "config:3: [profile  p] is the profile p again, written differently (first on line \
             1): the AWS SDKs merge the two in no set order (awsenv: the later wins), botocore \
             (the AWS CLI, boto3) reads only the last",
            |b| b["config"]["p"] == serde_json::json!({"output": "json"}),
        ),
        (
            "[profile semi;x]\nregion = eu-west-1\n",
            "",
            "config:1: [profile semi;x]: awsenv and botocore (the AWS CLI, boto3) read it as the \
             profile semi;x, the AWS SDKs refuse the whole file (a # or ; starts a comment there)",
            |b| b["config"]["semi;x"]["region"] == "eu-west-1",
        ),
        (
            "[profile p]\nregion: eu-west-1\n",
            "",
            "config line 2: a line without = (botocore, under the AWS CLI, reads key: value, the \
             AWS SDKs do not)",
            |b| b["config"]["p"]["region"] == "eu-west-1",
        ),
        (
            "[DEFAULT]\nregion = eu-west-1\n[profile p]\n",
            "",
            "config:1: [DEFAULT]: botocore (the AWS CLI, boto3) adds its keys to every section, \
             the AWS SDKs and awsenv do not",
            |b| b["config"]["p"]["region"] == "eu-west-1",
        ),
        (
            "",
            "[a b]\nregion = eu-west-1\n",
            "credentials:1: [a b]: awsenv and botocore (the AWS CLI, boto3) read it as the \
             profile a b, the AWS SDKs do not read it as a profile",
            |b| b["credentials"]["a b"]["region"] == "eu-west-1",
        ),
    ];
    for (config, credentials, says, botocore_does) in cases {
        let home = home(config, credentials, BASHRC);
        let (code, lines) = doctor(&home, None);
        assert_eq!(code, Some(9), "{config}{credentials}: {lines:?}");
        assert!(
            lines.iter().any(|l| l.contains(says)),
            "{config}{credentials}: {lines:?}"
        );
        let read = botocore_reads(&home);
        assert!(
            botocore_does(&read),
            "{config}{credentials}: botocore read {read}"
        );
    }
}
