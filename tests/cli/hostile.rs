//! Hostile names and values, and the faults of an unlucky day: nothing from a config file
//! acts on the terminal, no secret is left in a file nobody deletes, no MFA code is spent on a
//! session the cache cannot keep, and a server that is not AWS gets a line that says so.

use crate::support::{Home, moto, pty::Pty, time_in};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

const CONFIG: i32 = 3;
const CREDENTIALS: i32 = 4;
const NETWORK: i32 = 6;
const CACHE: i32 = 8;

/// Characters that act on a terminal or make text read other than it is.
const RAW: [char; 4] = ['\x1b', '\u{9b}', '\u{202e}', '\u{2066}'];

fn raw_free(text: &str) -> bool {
    !text.contains(RAW)
}

#[test]
fn the_lock_wait_message_shows_a_hostile_name_escaped() {
    let home = Home::new();
    let name = "esc\x1b]0;owned\x07";
    home.profile(name, &[]).keys(name, &moto().user(false));
    // Another awsenv holds the account's lock.
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::set_permissions(
        home.cache_dir(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let lock = std::fs::File::create(home.cache_dir().join("esc%1B%5D0%3Bowned%07.lock")).unwrap();
    lock.lock().unwrap();
    let mut child = home
        .awsenv(&["switch", name])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for another awsenv"), "{line:?}");
    assert!(line.contains("esc\\u{1b}]0;owned\\u{7}"), "{line:?}");
    assert!(raw_free(&line) && !line.contains('\x07'), "{line:?}");
    drop(lock);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(raw_free(&rest), "{rest:?}");
}

#[test]
fn list_and_now_escape_c1_and_bidi_characters_in_json_and_text() {
    let home = Home::new();
    let bob = moto().user(false);
    let names = ["c1\u{9b}2J", "bidi\u{202e}txt", "iso\u{2066}late"];
    for name in names {
        home.profile(name, &[]).keys(name, &bob);
    }
    let text = home.run(&["list"]).ok().stdout;
    assert!(raw_free(&text), "{text:?}");
    assert!(text.contains("c1\\u{9b}2J"), "{text}");
    let json = home.run(&["list", "--json"]).ok().stdout;
    assert!(raw_free(&json), "{json:?}");
    let rows: Value = serde_json::from_str(&json).unwrap();
    let listed: Vec<&str> = (0..3)
        .map(|i| rows[i]["account"].as_str().unwrap())
        .collect();
    let mut expected = names.to_vec();
    expected.sort();
    assert_eq!(
        listed, expected,
        "JSON readers get the names back as they are"
    );
    let now = home
        .awsenv(&["now", "--json"])
        .env("AWSENV_ACCOUNT", names[1])
        .output()
        .unwrap();
    let now = String::from_utf8(now.stdout).unwrap();
    assert!(raw_free(&now), "{now:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&now).unwrap()["account"],
        names[1]
    );
}

#[test]
fn output_stays_small_whatever_the_names() {
    let home = Home::new();
    let bob = moto().user(false);
    let mut config = String::new();
    for i in 0..2000 {
        config.push_str(&format!("[profile account-{i:04}]\nregion = eu-west-1\n"));
    }
    std::fs::write(home.config_file(), config).unwrap();
    let out = home.run(&["switch", "account-12345"]).fails(CONFIG);
    assert!(out.stderr.len() < 300, "{} bytes", out.stderr.len());
    assert!(
        out.stderr.contains("did you mean account-1234"),
        "{}",
        out.stderr
    );
    let out = home.run(&["switch", "zzz"]).fails(CONFIG);
    assert!(
        out.stderr.contains("(awsenv list shows the 2000 known)"),
        "{}",
        out.stderr
    );

    let home = Home::new();
    let long = "x".repeat(5000);
    home.profile(&long, &[]).keys(&long, &bob);
    home.user_account("bob", &bob);
    let listed = home.run(&["list"]).ok().stdout;
    assert!(listed.len() < 400, "{} bytes", listed.len());
    assert!(listed.lines().all(|l| l.chars().count() < 100), "{listed}");
}

/// Nothing but lock files in the cache directory: no session, no temporary file.
fn assert_only_locks_left(home: &Home) {
    let left: Vec<_> = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A temporary file as a writer that was killed mid-write leaves it: a whole session.
fn plant_temporary(home: &Home, account: &str, pid: u32) -> std::path::PathBuf {
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    let path = home.cache_dir().join(format!(".{account}.{pid}.tmp"));
    let session = json!({"secret_access_key": "left-behind-secret"});
    std::fs::write(&path, session.to_string()).unwrap();
    path
}

/// A pid no process has (pid_max is at most 2^22).
const DEAD: u32 = 4_194_999;

#[test]
fn temporaries_of_dead_writers_are_deleted_by_the_next_write_and_by_logout() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob).user_account("carol", &bob);
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::set_permissions(
        home.cache_dir(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let mut alive = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let bobs_dead = plant_temporary(&home, "bob", DEAD);
    // A live pid that is not writing bob: under bob's lock, any temporary of bob is stale.
    let bobs_live = plant_temporary(&home, "bob", alive.id());
    let carols_dead = plant_temporary(&home, "carol", DEAD);
    let carols_live = plant_temporary(&home, "carol", alive.id());

    home.run(&["switch", "bob"]).ok();
    assert!(!bobs_dead.exists() && !bobs_live.exists());
    assert!(carols_live.exists(), "a live writer's file is its own");

    home.run(&["logout", "--all"]).ok();
    assert!(!carols_dead.exists());
    assert!(carols_live.exists());
    alive.kill().unwrap();
    alive.wait().unwrap();
    home.run(&["logout", "carol"]).ok();
    assert!(!carols_live.exists());
    assert_only_locks_left(&home);
}

#[test]
fn a_cache_path_that_is_a_directory_costs_no_code_and_logout_clears_it() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    std::fs::create_dir_all(home.cache_file("alice").join("junk")).unwrap();
    std::fs::set_permissions(
        home.cache_dir(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let code = moto().code(&alice);
    let out = home.run(&["switch", "alice", "--code", &code]).fails(CACHE);
    assert_eq!(out.stdout, "");
    let line = out.stderr.lines().last().unwrap();
    assert!(
        line.ends_with(
            "alice.json is a directory: run awsenv logout alice, then try again (nothing was \
             asked of AWS)"
        ),
        "{}",
        out.stderr
    );
    assert!(moto().calls_by(&alice.access_key_id).is_empty());
    // doctor names the same fix, and the fix works.
    let doctor = home.run(&["doctor"]);
    assert!(
        doctor.stdout.contains("run awsenv logout alice"),
        "{}",
        doctor.stdout
    );
    home.run(&["logout", "alice"]).ok();
    assert!(!home.cache_file("alice").exists());
    home.run(&["switch", "alice", "--code", &code]).ok();
    assert_eq!(home.read_cache("alice")["account"], "alice");
}

#[test]
fn a_cache_without_room_costs_no_code() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    // No file may grow: what a full disk does to the write of a session.
    let out = home.bash(&format!(
        "ulimit -f 0; trap '' XFSZ; exec awsenv switch alice --code {}",
        moto().code(&alice)
    ));
    let out = out.fails(CACHE);
    assert!(
        out.stderr.contains("cannot write a session into")
            && out.stderr.contains("(nothing was asked of AWS)"),
        "{}",
        out.stderr
    );
    assert!(moto().calls_by(&alice.access_key_id).is_empty());
    assert_only_locks_left(&home);
}

#[test]
fn a_session_the_cache_cannot_keep_after_the_code_is_still_given() {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    let mut cmd = home.awsenv(&["switch", "alice"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.expect("MFA code for alice");
    // Between the check and the write, something takes the session's path.
    std::fs::create_dir_all(home.cache_file("alice").join("junk")).unwrap();
    terminal.send(&format!("{}\n", moto().code(&alice)));
    let out = home.output(terminal.output(), false).ok();
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("is used now but not kept"),
        "{}",
        out.stderr
    );
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

#[test]
fn a_very_long_name_gets_a_cache_file_and_keeps_its_session() {
    let home = Home::new();
    let bob = moto().user(false);
    let name = "n".repeat(250);
    home.profile(&name, &[]).keys(&name, &bob);
    home.run(&["switch", &name]).ok();
    home.run(&["switch", &name]).ok();
    assert_eq!(
        moto().calls_by(&bob.access_key_id),
        ["GetCallerIdentity", "ListMFADevices", "GetSessionToken"],
        "the second switch used the cache"
    );
    let files: Vec<String> = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert!(files.iter().all(|f| f.len() < 128), "{files:?}");
    let listed: Value = serde_json::from_str(&home.run(&["list", "--json"]).ok().stdout).unwrap();
    assert_eq!(listed[0]["session"]["kind"], "session");
    home.run(&["logout", "--all"]).ok();
    assert!(
        home.run(&["list", "--json"])
            .ok()
            .stdout
            .contains("\"session\": null"),
        "logout --all found the session by the name inside it"
    );
}

/// A server on loopback that gives every request the same answer: what a captive portal, a
/// failing load balancer or a proxy's error page does to a client that expected AWS.
fn canned(response: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 65536];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn answers_that_are_not_from_aws_are_network_errors_with_the_status() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let xml = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>\
               <Message>internal</Message></Error></ErrorResponse>";
    let cases: [(&str, String, &str); 4] = [
        (
            "an empty 500",
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".into(),
            "HTTP 500",
        ),
        (
            "a 500 with XML",
            format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/xml\r\n\
                 Content-Length: {}\r\n\r\n{xml}",
                xml.len()
            ),
            "HTTP 500 (InternalFailure)",
        ),
        (
            "a 503",
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".into(),
            "HTTP 503",
        ),
        (
            "a captive portal",
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 40\r\n\r\n\
             <html><body>Please sign in</body></html>"
                .into(),
            "HTTP 200 and a page that is not from AWS",
        ),
    ];
    for (what, response, expected) in cases {
        let url = canned(Box::leak(response.into_boxed_str()));
        let out = home
            .awsenv(&["switch", "bob"])
            .env("AWS_ENDPOINT_URL", &url)
            .output()
            .unwrap();
        let out = home.output(out, true).fails(NETWORK);
        assert_eq!(out.stdout, "", "{what}");
        assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("{url} answered GetCallerIdentity with {expected}")),
            "{what}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("Please sign in"), "{what}");
        assert!(!home.cache_file("bob").exists(), "{what}");
    }
}

#[test]
fn a_damaged_cached_token_is_replaced_and_damaged_keys_are_named() {
    let home = Home::new();
    let alice = moto().user(true);
    let role = moto().role(true, None, 3600);
    home.user_account("alice", &alice)
        .role_account("admin", &role, "alice");
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    let mut cached = home.read_cache("alice");
    cached["session_token"] = json!("token\u{1}with-a-control-character");
    cached["expiration"] = json!(time_in(3600));
    home.write_cache("alice", &cached);
    let out = home
        .run(&[
            "switch",
            "admin",
            "--code",
            &moto().totp(alice.seed.as_deref().unwrap(), 1),
        ])
        .ok();
    assert!(
        out.stderr
            .contains("its credentials hold characters no AWS credential has"),
        "{}",
        out.stderr
    );

    let home = Home::new();
    let mut bob = moto().user(false);
    bob.access_key_id = format!("{}\u{7}", bob.access_key_id);
    home.user_account("bob", &bob);
    let out = home.run(&["switch", "bob"]).fails(CREDENTIALS);
    assert!(
        out.stderr.contains("bob: the keys of [bob] in ")
            && out
                .stderr
                .contains("hold characters no AWS key has: correct them"),
        "{}",
        out.stderr
    );
}

#[test]
fn hostile_values_in_the_config_are_named_before_any_call() {
    let home = Home::new();
    let bob = moto().user(false);
    home.profile("semi", &[("region", "eu-west-1;touch /tmp/x")])
        .keys("semi", &bob)
        .profile(
            "quote",
            &[
                ("role_arn", "arn:aws:iam::123456789012:role/a'b"),
                ("source_profile", "semi"),
            ],
        )
        .profile(
            "esc",
            &[
                ("role_arn", "arn:aws:iam::123456789012:role/a\x1b[2Jb"),
                ("source_profile", "semi"),
            ],
        );
    for (account, key) in [
        ("semi", "region"),
        ("quote", "role_arn"),
        ("esc", "role_arn"),
    ] {
        let out = home.run(&["switch", account]).fails(CONFIG);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(
            out.stderr
                .starts_with(&format!("awsenv: {account}: {key} ")),
            "{}",
            out.stderr
        );
        assert!(raw_free(&out.stderr), "{:?}", out.stderr);
    }
    assert!(moto().calls_by(&bob.access_key_id).is_empty());
    let doctor = home.run(&["doctor"]).stdout;
    for key in ["semi: region", "quote: role_arn", "esc: role_arn"] {
        assert!(doctor.contains(key), "{doctor}");
    }
}

#[test]
fn a_bracket_in_a_profile_name_is_read_as_the_aws_cli_reads_it() {
    let home = Home::new();
    let bob = moto().user(false);
    home.profile("a]b", &[("region", "eu-west-1")])
        .keys("a]b", &bob);
    let out = home.run(&["switch", "a]b"]).ok();
    assert!(
        out.stdout.contains("export AWSENV_ACCOUNT='a]b';"),
        "{}",
        out.stdout
    );
    let aws = home
        .command("aws")
        .args(["configure", "get", "region", "--profile", "a]b"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&aws.stdout).trim(), "eu-west-1");
}

#[test]
fn prompts_built_by_the_shell_show_names_as_the_binary_escapes_them() {
    let home = Home::new();
    let name = "prod\u{202e}ved";
    home.profile(name, &[]).keys(name, &moto().user(false));
    for (shell, argv) in [
        ("bash", &["--norc", "--noprofile", "-c"][..]),
        ("zsh", &["-f", "-c"][..]),
    ] {
        let script = format!(
            "eval \"$(awsenv init {shell})\"; awsenv switch \"$1\"; __awsenv_hook; \
             printf '%s' \"$AWSENV_PROMPT\""
        );
        let out = home
            .command(shell)
            .args(argv)
            .arg(&script)
            .args(["-", name])
            .env("TERM", "dumb")
            .output()
            .unwrap();
        let out = home.output(out, false);
        assert!(
            out.stdout.starts_with("prod\\u{202e}ved "),
            "{shell}: {:?} {}",
            out.stdout,
            out.stderr
        );
        assert!(raw_free(&out.stdout), "{shell}: {:?}", out.stdout);
    }
}
