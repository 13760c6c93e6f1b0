//! Accounts in the China and GovCloud partitions, through switch, exec, rotate and login. The
//! stand-in keeps each partition's IAM apart and picks it by the region a request is signed
//! for, as AWS's partitions are apart: a call signed for another partition's region finds no
//! such user, and fails.

use crate::support::{Home, Out, User, moto};

/// `name`: a user of `partition` with MFA and these settings; `name-admin`: a role of the
/// same partition assumed from it with MFA.
fn accounts(partition: &str, name: &str, settings: &[(&str, &str)]) -> (Home, User, String) {
    let home = Home::new();
    let user = moto().user_in(partition, true);
    let role = moto().role_in(partition, true, None, 3600);
    let serial = user.mfa_serial.clone().unwrap();
    let mut profile = vec![("mfa_serial", serial.as_str())];
    profile.extend_from_slice(settings);
    home.profile(name, &profile).keys(name, &user).role_account(
        &format!("{name}-admin"),
        &role,
        name,
    );
    (home, user, role)
}

/// The AWS CLI's GetCallerIdentity, run by `awsenv exec` with `args` before the `--`.
fn caller(home: &Home, args: &[&str]) -> Out {
    let mut cmd = home.awsenv(&["exec"]);
    cmd.args(args)
        .args(["--", "aws", "sts", "get-caller-identity"])
        .args(["--query", "Arn", "--output", "text"]);
    home.output(cmd.output().unwrap(), false).ok()
}

#[test]
fn a_china_role_is_assumed_in_china_and_its_user_rotates_there() {
    let (home, user, role) = accounts("aws-cn", "cn", &[("region", "cn-northwest-1")]);
    assert!(user.arn.starts_with("arn:aws-cn:iam::"), "{}", user.arn);
    assert!(role.starts_with("arn:aws-cn:iam::"), "{role}");
    let code = moto().code(&user);

    let out = caller(&home, &["cn-admin", "--code", &code]);
    let arn = out.stdout.trim();
    assert!(arn.starts_with("arn:aws-cn:sts::"), "{arn}");
    assert!(arn.contains(":assumed-role/"), "{arn}");

    // The MFA session serves a switch without a code; the shell gets the profile's region.
    let out = home.run(&["switch", "cn-admin"]).ok();
    assert!(
        out.stdout.contains("AWS_REGION='cn-northwest-1'"),
        "{}",
        out.stdout
    );

    // IAM of the China partition lives in cn-north-1: ListAccessKeys, CreateAccessKey and
    // DeleteAccessKey find the user only there.
    home.run(&["rotate", "cn"]).ok();
    let new = home.key_in_file("cn");
    assert_ne!(new, user.access_key_id);
    assert_eq!(moto().keys_of(&user.name), vec![new]);
}

#[test]
fn a_gov_cloud_account_without_a_region_is_asked_in_its_partition() {
    // No region anywhere: STS is asked in us-gov-west-1, the partition's, found from the ARN
    // of the MFA device; the command gets the region --region names.
    let (home, user, _) = accounts("aws-us-gov", "gov", &[]);
    let code = moto().code(&user);
    let out = caller(
        &home,
        &["gov-admin", "--region", "us-gov-east-1", "--code", &code],
    );
    assert!(
        out.stdout.trim().starts_with("arn:aws-us-gov:sts::"),
        "{}",
        out.stdout
    );
    let out = home
        .run(&["exec", "gov", "--", "sh", "-c", "echo $AWS_REGION"])
        .ok();
    assert_eq!(out.stdout.trim(), "", "no region is made up for the shell");
}

#[test]
fn the_console_sign_in_uses_the_partitions_hosts() {
    for (partition, signin, console) in [
        (
            "aws-cn",
            "https://signin.amazonaws.cn",
            "console.amazonaws.cn",
        ),
        (
            "aws-us-gov",
            "https://signin.amazonaws-us-gov.com",
            "console.amazonaws-us-gov.com",
        ),
    ] {
        let (home, user, _) = accounts(partition, "p", &[]);
        let code = moto().code(&user);
        home.run(&["mfa", "p", "--code", &code]).ok();

        // The sign-in endpoint of the test's own: the URL lands on the partition's console.
        let (endpoint, seen) = crate::login::signin_endpoint();
        let out = home
            .awsenv(&["login", "p-admin", "--print"])
            .env("AWSENV_SIGNIN_URL", &endpoint)
            .output()
            .unwrap();
        let out = home.output(out, false).ok();
        seen.recv().unwrap();
        let destination = format!("&Destination=https%3A%2F%2F{console}%2F&");
        assert!(out.stdout.contains(&destination), "{}", out.stdout);

        // Without one, the request goes to the partition's own sign-in host: through a proxy
        // that is down here, so nothing leaves the machine.
        let dead = format!("http://127.0.0.1:{}", crate::support::free_port());
        let out = home
            .awsenv(&["login", "p-admin", "--print", "--debug"])
            .env("HTTPS_PROXY", &dead)
            .output()
            .unwrap();
        let out = home.output(out, false).fails(6);
        let line = format!("awsenv-aws: debug {signin} through the proxy {dead}");
        assert!(out.stderr.contains(&line), "{}", out.stderr);
    }
}
