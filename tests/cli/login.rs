//! `awsenv login`: the console URL from a sign-in endpoint of the test's own, which checks the
//! request's shape; users through GetFederationToken, roles through their role session.

use crate::support::{Home, moto, register_secret};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};

/// A sign-in endpoint on loopback: answers one getSigninToken and hands its query over.
pub(crate) fn signin_endpoint() -> (String, Receiver<HashMap<String, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/federation",
        listener.local_addr().unwrap().port()
    );
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
        }
        let target = request_line.split_whitespace().nth(1).unwrap();
        let (path, query) = target.split_once('?').unwrap();
        assert_eq!(path, "/federation");
        let _ = tx.send(parse_query(query));
        let body = r#"{"SigninToken":"signin-token-123"}"#;
        write!(
            &stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    (url, rx)
}

fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn login(home: &Home, endpoint: &str, args: &[&str]) -> crate::support::Out {
    let out = home
        .awsenv(&[&["login"], args].concat())
        .env("AWSENV_SIGNIN_URL", endpoint)
        .output()
        .unwrap();
    home.output(out, false)
}

#[test]
fn a_users_console_url_comes_from_a_federation_token() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    let (endpoint, seen) = signin_endpoint();
    let out = login(&home, &endpoint, &["bob", "--print", "--duration", "2h"]).ok();
    let query = seen.recv().unwrap();
    assert_eq!(query["Action"], "getSigninToken");
    // The federation token's own duration (2h) is the console session's.
    assert!(
        !query.contains_key("SessionDuration"),
        "not for federation tokens"
    );
    let session: Value = serde_json::from_str(&query["Session"]).unwrap();
    for key in ["sessionId", "sessionKey", "sessionToken"] {
        assert!(!session[key].as_str().unwrap().is_empty(), "{key}");
    }
    register_secret(session["sessionKey"].as_str().unwrap());
    assert_eq!(
        out.stdout,
        format!(
            "{endpoint}?Action=login&Issuer=awsenv&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F\
             &SigninToken=signin-token-123\n"
        )
    );
    assert!(!out.stdout.contains(session["sessionKey"].as_str().unwrap()));
    assert!(
        moto()
            .calls_by(&bob.access_key_id)
            .contains(&"GetFederationToken".to_owned())
    );
}

#[test]
fn a_roles_console_url_comes_from_its_role_session() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &role, "alice");
    let (endpoint, seen) = signin_endpoint();
    let code = moto().code(&alice);
    let out = login(
        &home,
        &endpoint,
        &[
            "admin",
            "--print",
            "--code",
            &code,
            "--destination",
            "https://console.aws.amazon.com/s3/",
        ],
    )
    .ok();
    let query = seen.recv().unwrap();
    let duration: u32 = query["SessionDuration"].parse().unwrap();
    assert!(
        (3500..=3600).contains(&duration),
        "the role session's time left: {duration}"
    );
    let session: Value = serde_json::from_str(&query["Session"]).unwrap();
    assert_eq!(
        session["sessionId"],
        home.read_cache("admin")["access_key_id"]
    );
    assert!(
        out.stdout
            .contains("&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F&")
    );
}

#[test]
fn a_console_session_beyond_aws_limits_is_refused_before_any_call() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    let out = login(
        &home,
        "http://127.0.0.1:9/federation",
        &["bob", "--print", "--duration", "37h"],
    );
    let out = out.fails(3);
    assert!(
        out.stderr
            .contains("a console session of an IAM user lasts 15m to 36h"),
        "{}",
        out.stderr
    );
    assert!(moto().calls_by(&bob.access_key_id).is_empty());
}

#[test]
fn a_sign_in_endpoint_over_plain_http_elsewhere_is_refused() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = login(
        &home,
        "http://signin.example.invalid/federation",
        &["bob", "--print"],
    );
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("must be https"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn without_print_the_url_goes_to_the_opener() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let (endpoint, _seen) = signin_endpoint();
    let bin = home.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = home.dir.join("opened");
    std::fs::write(
        bin.join("xdg-open"),
        format!("#!/bin/sh\nprintf '%s' \"$1\" > {}\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("xdg-open"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = home.awsenv(&["login", "bob"]);
    cmd.env("AWSENV_SIGNIN_URL", &endpoint)
        .env("PATH", format!("{path}:/usr/bin:/bin"));
    let out = home.output(cmd.output().unwrap(), true).ok();
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("bob: opened the AWS console in your browser"),
        "{}",
        out.stderr
    );
    let opened = std::fs::read_to_string(&record).unwrap();
    assert!(
        opened.starts_with(&format!("{endpoint}?Action=login&")),
        "{opened}"
    );
}
