//! Corporate networks: a real forward proxy (tinyproxy) and a TLS endpoint whose certificate
//! a private CA signed, in front of moto. Each case runs awsenv and the AWS CLI in the same
//! setup, side by side; where they differ, the test says so.

use crate::login::signin_endpoint;
use crate::support::{
    Home, Out, PROXY_PASSWORD, PROXY_USER, auth_proxy, free_port, moto, proxy, tls,
};

const CONFIG: i32 = 3;
const NETWORK: i32 = 6;

/// A home with one IAM user without MFA, `bob`.
fn bob() -> Home {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    home
}

/// Makes a new session for `bob` (the cached one is dropped first), with `vars` over the
/// home's environment and AWS at the TLS endpoint.
fn awsenv(home: &Home, flags: &[&str], vars: &[(&str, &str)]) -> Out {
    home.run(&["logout", "bob"]).ok();
    let mut cmd = home.awsenv(&[flags, &["exec", "bob", "--", "true"]].concat());
    cmd.env("AWS_ENDPOINT_URL", tls().url())
        .envs(vars.iter().copied());
    home.output(cmd.output().unwrap(), true)
}

/// The AWS CLI in the same setup: GetCallerIdentity with bob's profile, tried once.
fn aws_cli(home: &Home, vars: &[(&str, &str)]) -> Out {
    let mut cmd = home.aws_caller("bob");
    cmd.env("AWS_ENDPOINT_URL", tls().url())
        .env("AWS_MAX_ATTEMPTS", "1")
        .envs(vars.iter().copied());
    home.output(cmd.output().unwrap(), true)
}

fn connects(log: &str, port: u16) -> usize {
    log.matches(&format!("CONNECT 127.0.0.1:{port} ")).count()
}

#[test]
fn sts_and_iam_go_through_the_https_proxy_as_the_aws_clis_calls_do() {
    let home = bob();
    let (proxy, tls) = (proxy(), tls());
    let (url, ca) = (proxy.url(), tls.ca().display().to_string());
    let vars = [("HTTPS_PROXY", url.as_str()), ("AWS_CA_BUNDLE", &ca)];
    let before = connects(&proxy.log(), tls.port);
    let out = awsenv(&home, &["--debug"], &vars).ok();
    let through = format!(
        "awsenv-aws: debug {} through the proxy {}",
        tls.url(),
        proxy.url()
    );
    assert!(out.stderr.contains(&through), "{}", out.stderr);
    assert!(
        out.stderr.contains("iam:ListMFADevices ok"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sts:GetSessionToken ok"),
        "{}",
        out.stderr
    );
    // One process, so one tunnel at least, per call: GetCallerIdentity, ListMFADevices and
    // GetSessionToken.
    let after = connects(&proxy.log(), tls.port);
    assert!(after >= before + 3, "{}", proxy.log());
    let cli = aws_cli(&home, &vars).ok();
    assert!(cli.stdout.contains(":user/"), "{}", cli.stdout);
    assert!(
        connects(&proxy.log(), tls.port) > after,
        "the AWS CLI's too"
    );
}

#[test]
fn an_http_endpoint_takes_http_proxy_and_not_https_proxy() {
    let home = bob();
    let proxy = proxy();
    // Only this test reaches moto as localhost through the proxy: its log lines are ours.
    let endpoint = format!("http://localhost:{}", moto().port);
    let dead = format!("http://127.0.0.1:{}", free_port());
    let url = proxy.url();
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("http_proxy", &url),
        ("HTTPS_PROXY", &dead),
    ];
    awsenv(&home, &[], &vars).ok();
    let request = format!("POST {endpoint}/ HTTP/1.1");
    let seen = proxy.log().matches(&request).count();
    assert!(seen >= 3, "{}", proxy.log());
    let cli = aws_cli(&home, &vars).ok();
    assert!(cli.stdout.contains(":user/"));
    assert!(proxy.log().matches(&request).count() > seen);
}

#[test]
fn no_proxy_reaches_the_endpoint_directly_as_in_the_aws_cli() {
    let home = bob();
    let ca = tls().ca().display().to_string();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let vars = [
        ("HTTPS_PROXY", dead.as_str()),
        ("NO_PROXY", "example.com, 127.0.0.1"),
        ("AWS_CA_BUNDLE", &ca),
    ];
    awsenv(&home, &[], &vars).ok();
    aws_cli(&home, &vars).ok();
}

#[test]
fn a_dead_proxy_is_an_error_never_a_direct_connection() {
    let home = bob();
    let ca = tls().ca().display().to_string();
    let port = free_port();
    let dead = format!("http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{port}");
    let vars = [("HTTPS_PROXY", dead.as_str()), ("AWS_CA_BUNDLE", &ca)];
    // With the proxy unset, the endpoint answers: going around the proxy would succeed.
    awsenv(&home, &[], &[("AWS_CA_BUNDLE", &ca)]).ok();
    for flags in [&[][..], &["--debug"]] {
        let out = awsenv(&home, flags, &vars).fails(NETWORK);
        let said = format!("awsenv: bob: cannot reach the proxy http://127.0.0.1:{port} that");
        assert!(out.stderr.contains(&said), "{}", out.stderr);
        assert!(
            out.stderr.contains("that HTTPS_PROXY names ("),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains(PROXY_USER), "{}", out.stderr);
    }
    let cli = aws_cli(&home, &vars);
    assert_ne!(cli.code, Some(0));
    assert!(
        cli.stderr.contains("Failed to connect to proxy URL"),
        "{}",
        cli.stderr
    );

    // The lower case wins, in both.
    let open = proxy().url();
    let both = [
        ("https_proxy", dead.as_str()),
        ("HTTPS_PROXY", &open),
        ("AWS_CA_BUNDLE", &ca),
    ];
    let out = awsenv(&home, &[], &both).fails(NETWORK);
    assert!(
        out.stderr.contains("that https_proxy names ("),
        "{}",
        out.stderr
    );
    assert_ne!(aws_cli(&home, &both).code, Some(0));

    // ALL_PROXY: the SDK's HTTP client takes it, and so does awsenv; the AWS CLI ignores it.
    let all = [("ALL_PROXY", dead.as_str()), ("AWS_CA_BUNDLE", &ca)];
    let out = awsenv(&home, &[], &all).fails(NETWORK);
    assert!(
        out.stderr.contains("that ALL_PROXY names ("),
        "{}",
        out.stderr
    );
    aws_cli(&home, &all).ok();
}

#[test]
fn a_proxy_with_basic_auth_gets_its_password_and_never_shows_it() {
    let home = bob();
    let (proxy, tls) = (auth_proxy(), tls());
    let ca = tls.ca().display().to_string();
    let good = proxy.url_with(PROXY_PASSWORD);
    let vars = [("HTTPS_PROXY", good.as_str()), ("AWS_CA_BUNDLE", &ca)];
    // Home::output fails the test if PROXY_PASSWORD shows anywhere, --debug included.
    let out = awsenv(&home, &["--debug"], &vars).ok();
    let through = format!("through the proxy {}", proxy.url());
    assert!(out.stderr.contains(&through), "{}", out.stderr);
    assert!(!out.stderr.contains(PROXY_USER), "{}", out.stderr);
    assert!(connects(&proxy.log(), tls.port) >= 3, "{}", proxy.log());
    aws_cli(&home, &vars).ok();

    // A wrong password: tinyproxy answers CONNECT with 401, which hyper-util reports only as
    // an unsuccessful tunnel.
    let bad = proxy.url_with("not-the-password");
    let wrong = [("HTTPS_PROXY", bad.as_str()), ("AWS_CA_BUNDLE", &ca)];
    let out = awsenv(&home, &["--debug"], &wrong).fails(NETWORK);
    let said = format!(
        "awsenv: bob: the proxy {} would not connect to {}",
        proxy.url(),
        tls.url()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-password"), "{}", out.stderr);
    assert_ne!(aws_cli(&home, &wrong).code, Some(0));

    // No credentials: 407.
    let url = proxy.url();
    let none = [("HTTPS_PROXY", url.as_str()), ("AWS_CA_BUNDLE", &ca)];
    let out = awsenv(&home, &[], &none).fails(NETWORK);
    let said = format!(
        "the proxy {} asks for a user and password (it answered HTTP 407): set HTTPS_PROXY to \
         http://USER:PASSWORD@host:port",
        proxy.url()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert_ne!(aws_cli(&home, &none).code, Some(0));
}

#[test]
fn a_proxy_url_that_is_not_one_is_refused_before_any_call() {
    let home = bob();
    for (value, says) in [
        (
            "socks5h://127.0.0.1:1080",
            "HTTPS_PROXY is a socks5h:// proxy",
        ),
        (
            "http://proxy:80800",
            "HTTPS_PROXY has a port that is not a number",
        ),
        ("http://", "HTTPS_PROXY names no host"),
    ] {
        let out = awsenv(&home, &[], &[("HTTPS_PROXY", value)]).fails(CONFIG);
        assert!(out.stderr.contains(says), "{value}: {}", out.stderr);
    }
}

#[test]
fn a_private_ca_is_trusted_through_aws_ca_bundle_or_ca_bundle_as_in_the_aws_cli() {
    let home = bob();
    let tls = tls();
    let (ca, other) = (tls.ca(), tls.other_ca());
    let (ca, other) = (ca.to_str().unwrap(), other.to_str().unwrap());

    // No bundle: both refuse the certificate; awsenv says which setting would trust it.
    let out = awsenv(&home, &[], &[]).fails(NETWORK);
    let said = format!(
        "awsenv: bob: the certificate of {} is not trusted by the system's CAs (invalid peer \
         certificate: UnknownIssuer), and no CA bundle is set: if your network inspects TLS, set \
         AWS_CA_BUNDLE, or ca_bundle in the profile, to its CA certificate (a PEM file)",
        tls.url()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    let cli = aws_cli(&home, &[]);
    assert_ne!(cli.code, Some(0));
    assert!(
        cli.stderr.contains("SSL validation failed"),
        "{}",
        cli.stderr
    );

    awsenv(&home, &[], &[("AWS_CA_BUNDLE", ca)]).ok();
    aws_cli(&home, &[("AWS_CA_BUNDLE", ca)]).ok();
    // The AWS CLI also takes REQUESTS_CA_BUNDLE, last.
    awsenv(&home, &[], &[("REQUESTS_CA_BUNDLE", ca)]).ok();
    aws_cli(&home, &[("REQUESTS_CA_BUNDLE", ca)]).ok();

    let out = awsenv(&home, &[], &[("AWS_CA_BUNDLE", other)]).fails(NETWORK);
    let said = format!("neither by the system's CAs nor by {other} from AWS_CA_BUNDLE");
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert_ne!(aws_cli(&home, &[("AWS_CA_BUNDLE", other)]).code, Some(0));

    // The profile's ca_bundle, which AWS_CA_BUNDLE overrides in both.
    let config = format!("[profile bob]\nregion = eu-west-1\nca_bundle = {other}\n");
    std::fs::write(home.config_file(), config).unwrap();
    let out = awsenv(&home, &[], &[]).fails(NETWORK);
    let said = format!(
        "nor by {other} from ca_bundle of profile bob in {}",
        home.config_file().display()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert_ne!(aws_cli(&home, &[]).code, Some(0));
    awsenv(&home, &[], &[("AWS_CA_BUNDLE", ca)]).ok();
    aws_cli(&home, &[("AWS_CA_BUNDLE", ca)]).ok();
    let out = awsenv(&home, &[], &[("REQUESTS_CA_BUNDLE", ca)]).fails(NETWORK);
    assert!(
        out.stderr.contains("from ca_bundle of profile bob"),
        "{}",
        out.stderr
    );
    assert_ne!(aws_cli(&home, &[("REQUESTS_CA_BUNDLE", ca)]).code, Some(0));
}

#[test]
fn a_roles_source_profile_lends_it_its_ca_bundle() {
    let home = Home::new();
    let bob = moto().user(false);
    let role = moto().role(false, None, 3600);
    let ca = tls().ca();
    home.profile("bob", &[("ca_bundle", ca.to_str().unwrap())])
        .keys("bob", &bob)
        .role_account("admin", &role, "bob");
    let mut cmd = home.awsenv(&["exec", "admin", "--", "true"]);
    cmd.env("AWS_ENDPOINT_URL", tls().url());
    home.output(cmd.output().unwrap(), true).ok();
}

#[test]
fn a_ca_bundle_that_is_no_pem_file_is_named() {
    let home = bob();
    let not_pem = home.dir.join("bundle.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let missing = home.dir.join("missing.pem");
    for (path, says) in [
        (&not_pem, "holds no PEM certificate"),
        (&missing, "cannot be read"),
    ] {
        let bundle = path.to_str().unwrap();
        let out = awsenv(&home, &[], &[("AWS_CA_BUNDLE", bundle)]).fails(CONFIG);
        let said = format!("awsenv: bob: the CA bundle {bundle} {says}");
        assert!(out.stderr.contains(&said), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("point AWS_CA_BUNDLE at a PEM file of CA certificates"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn the_console_sign_in_goes_through_the_proxy_too() {
    let home = bob();
    let proxy = proxy();
    let (signin, seen) = signin_endpoint();
    let out = home
        .awsenv(&["login", "bob", "--print"])
        .env("AWSENV_SIGNIN_URL", &signin)
        .env("HTTP_PROXY", proxy.url())
        .output()
        .unwrap();
    home.output(out, false).ok();
    seen.recv().unwrap();
    let request = format!("GET {signin}?Action=getSigninToken&");
    assert!(proxy.log().contains(&request), "{}", proxy.log());

    // Only the sign-in request goes to a dead proxy: GetFederationToken reaches moto
    // (127.0.0.1) directly, by NO_PROXY.
    let port = free_port();
    let signin = format!("http://localhost:{}/federation", free_port());
    let out = home
        .awsenv(&["login", "bob", "--print"])
        .env("AWSENV_SIGNIN_URL", &signin)
        .env("HTTP_PROXY", format!("http://127.0.0.1:{port}"))
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    let out = home.output(out, false).fails(NETWORK);
    let said = format!("bob: cannot reach the proxy http://127.0.0.1:{port} that HTTP_PROXY");
    assert!(out.stderr.contains(&said), "{}", out.stderr);
}
