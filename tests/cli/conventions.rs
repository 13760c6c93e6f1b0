//! The settings every AWS SDK reads, read by awsenv's calls as the AWS CLI reads them: endpoint
//! URLs in the profile and in its `services` section, FIPS and dual-stack endpoints, STS's
//! legacy global endpoint, retries, the user agent's app id. Where an endpoint is AWS's own,
//! the request goes to a proxy that is down, so nothing leaves the machine and --debug names
//! where it would have gone.

use crate::support::{Home, Out, User, free_port, moto, register_secret};

/// bob, a user without MFA, with these settings besides his region.
fn bob(settings: &[(&str, &str)]) -> (Home, User) {
    let home = Home::new();
    let bob = moto().user(false);
    let mut profile = vec![("region", "us-east-2")];
    profile.extend_from_slice(settings);
    home.profile("bob", &profile).keys("bob", &bob);
    (home, bob)
}

/// `awsenv switch bob` with no endpoint URL in the environment, and these variables.
fn switch(home: &Home, vars: &[(&str, &str)]) -> Out {
    let mut cmd = home.awsenv(&["switch", "bob", "--debug"]);
    cmd.env_remove("AWS_ENDPOINT_URL")
        .envs(vars.iter().copied());
    home.output(cmd.output().unwrap(), false)
}

/// The AWS CLI's GetCallerIdentity for bob, in the same setup.
fn aws_cli(home: &Home, vars: &[(&str, &str)]) -> Out {
    let mut cmd = home.aws_caller("bob");
    cmd.env_remove("AWS_ENDPOINT_URL")
        .envs(vars.iter().copied());
    home.output(cmd.output().unwrap(), true)
}

#[test]
fn endpoint_urls_in_the_profile_and_its_services_section_are_followed() {
    let (home, bob) = bob(&[]);
    let (dead, moto_url) = (format!("http://127.0.0.1:{}", free_port()), moto().url());
    // bob has no MFA device in his profile: awsenv asks IAM for one.
    let iam = format!("iam =\n  endpoint_url = {moto_url}\n");
    std::fs::write(
        home.config_file(),
        format!(
            "[profile bob]\nregion = us-east-2\nendpoint_url = {dead}\nservices = here\n\n\
             [services here]\nsts =\n  endpoint_url = {moto_url}\n{iam}"
        ),
    )
    .unwrap();
    // The service's own endpoint wins over the profile's, as in the AWS CLI.
    let out = switch(&home, &[]).ok();
    assert!(out.stderr.contains("bob: new session"), "{}", out.stderr);
    assert_eq!(aws_cli(&home, &[]).ok().stdout.trim(), bob.arn);

    // The variable for one service wins over the services section.
    std::fs::write(
        home.config_file(),
        format!(
            "[profile bob]\nregion = us-east-2\nservices = here\n\n\
             [services here]\nsts =\n  endpoint_url = {dead}\n{iam}"
        ),
    )
    .unwrap();
    home.run(&["logout", "bob"]).ok();
    let vars = [("AWS_ENDPOINT_URL_STS", moto_url.as_str())];
    switch(&home, &vars).ok();
    assert_eq!(aws_cli(&home, &vars).ok().stdout.trim(), bob.arn);
    // Without it, the section's dead endpoint is used, and named.
    home.run(&["logout", "bob"]).ok();
    let out = switch(&home, &[]).fails(6);
    assert!(
        out.stderr.contains(&format!("bob: cannot reach {dead}")),
        "{}",
        out.stderr
    );
}

type Settings<'a> = &'a [(&'a str, &'a str)];

#[test]
fn fips_dual_stack_and_legacy_sts_settings_pick_the_endpoint() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    // (variables, profile settings, the endpoint they make)
    let cases: [(Settings, Settings, &str); 7] = [
        (&[], &[], "https://sts.us-east-2.amazonaws.com"),
        (
            &[("AWS_USE_FIPS_ENDPOINT", "true")],
            &[],
            "https://sts-fips.us-east-2.amazonaws.com",
        ),
        (
            &[],
            &[("use_dualstack_endpoint", "true")],
            "https://sts.us-east-2.api.aws",
        ),
        (
            &[("AWS_STS_REGIONAL_ENDPOINTS", "legacy")],
            &[],
            "https://sts.amazonaws.com",
        ),
        (
            &[],
            &[("sts_regional_endpoints", "legacy")],
            "https://sts.amazonaws.com",
        ),
        (
            // The variable wins over the profile.
            &[("AWS_STS_REGIONAL_ENDPOINTS", "regional")],
            &[("sts_regional_endpoints", "legacy")],
            "https://sts.us-east-2.amazonaws.com",
        ),
        (
            // An endpoint URL that is to be ignored is ignored.
            &[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ],
            &[],
            "https://sts.us-east-2.amazonaws.com",
        ),
    ];
    for (vars, profile, endpoint) in cases {
        let (home, _) = bob(profile);
        let mut all = vec![("HTTPS_PROXY", dead.as_str())];
        all.extend_from_slice(vars);
        let out = switch(&home, &all).fails(6);
        let line = format!("awsenv-aws: debug {endpoint} through the proxy {dead}");
        assert!(
            out.stderr.contains(&line),
            "{vars:?} {profile:?}: {}",
            out.stderr
        );
    }

    // A region that never had the global endpoint keeps its own under legacy.
    let home = Home::new();
    let settings = [
        ("region", "ap-east-1"),
        ("sts_regional_endpoints", "legacy"),
    ];
    home.profile("bob", &settings)
        .keys("bob", &moto().user(false));
    let out = switch(&home, &[("HTTPS_PROXY", &dead)]).fails(6);
    assert!(
        out.stderr
            .contains("debug https://sts.ap-east-1.amazonaws.com "),
        "{}",
        out.stderr
    );
    // A value the AWS CLI refuses is refused, naming where it is: in the environment,
    let (home, _) = bob(&[]);
    let out = home
        .awsenv(&["switch", "bob"])
        .env("AWS_STS_REGIONAL_ENDPOINTS", "global")
        .output()
        .unwrap();
    let out = home.output(out, true).fails(3);
    assert!(
        out.stderr
            .contains("AWS_STS_REGIONAL_ENDPOINTS=global must be legacy or regional"),
        "{}",
        out.stderr
    );
    // and in the profile.
    let home = Home::new();
    let settings = [("sts_regional_endpoints", "global")];
    home.profile("bob", &settings)
        .keys("bob", &moto().user(false));
    let out = home.run(&["switch", "bob"]).fails(3);
    assert!(
        out.stderr
            .contains("bob: sts_regional_endpoints = global in")
            && out.stderr.contains("must be legacy or regional"),
        "{}",
        out.stderr
    );
}

#[test]
fn retries_follow_max_attempts_from_the_profile_and_the_environment() {
    let (home, bob) = bob(&[("max_attempts", "1")]);
    let tries = || {
        let calls = moto().calls_with(&bob.access_key_id);
        let statuses = calls.iter().filter(|c| c["action"] == "GetSessionToken");
        statuses
            .map(|c| c["status"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    moto().unavailable(&bob, "GetSessionToken", 1);
    let out = home.run(&["switch", "bob"]).fails(6);
    assert!(out.stderr.contains("HTTP 503"), "{}", out.stderr);
    assert_eq!(tries(), [503], "one attempt, as the profile says");

    moto().unavailable(&bob, "GetSessionToken", 2);
    let out = home
        .awsenv(&["switch", "bob"])
        .env("AWS_MAX_ATTEMPTS", "3")
        .output()
        .unwrap();
    home.output(out, false).ok();
    assert_eq!(
        tries(),
        [503, 503, 503, 200],
        "the variable wins over the profile"
    );
}

#[test]
fn the_app_id_reaches_aws_in_the_user_agent() {
    let (home, bob) = bob(&[("sdk_ua_app_id", "from-profile")]);
    let agents = || {
        let calls = moto().calls_with(&bob.access_key_id);
        let agents = calls
            .iter()
            .map(|c| c["user_agent"].as_str().unwrap().to_owned());
        agents.collect::<Vec<_>>()
    };
    home.run(&["switch", "bob"]).ok();
    assert!(agents()[0].contains("app/from-profile"), "{:?}", agents());
    home.run(&["logout", "bob"]).ok();
    let out = home
        .awsenv(&["switch", "bob"])
        .env("AWS_SDK_UA_APP_ID", "team-42")
        .output()
        .unwrap();
    home.output(out, false).ok();
    assert!(
        agents().last().unwrap().contains("app/team-42"),
        "{:?}",
        agents()
    );
}

#[test]
fn a_password_in_an_endpoint_url_is_never_shown() {
    let (home, _) = bob(&[]);
    register_secret("s3kr1t-in-url");
    let endpoint = format!("http://user:s3kr1t-in-url@127.0.0.1:{}", free_port());
    let out = switch(&home, &[("AWS_ENDPOINT_URL", &endpoint)]).fails(6);
    let port = endpoint.rsplit(':').next().unwrap();
    let named = format!("bob: cannot reach http://127.0.0.1:{port} ");
    assert!(out.stderr.contains(&named), "{}", out.stderr);
}
