//! The keychain fixture itself (tests/support/keyring.rs), against the real gnome-keyring:
//! what the keychain tests will trust to read back what awsenv stored must find it, keep one
//! test's items from another's, answer a locked keyring as one, and leave no daemon behind.

use crate::support::Home;
use crate::support::keyring::{Keyring, bare_bus};
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn starts_unlocked_and_empty() {
    let start = Instant::now();
    let keyring = Keyring::new();
    eprintln!("a Keyring started in {:?}", start.elapsed());
    assert!(!keyring.locked());
    assert_eq!(keyring.ids(), Vec::<String>::new());
    assert_eq!(keyring.secret("AKIAFIXTURE0000000001"), None);
}

#[test]
fn reads_back_what_it_stores() {
    let keyring = Keyring::new();
    keyring.store("AKIAFIXTURE0000000002", "fixture/secret+two");
    keyring.store("AKIAFIXTURE0000000001", "fixture/secret+one");
    assert_eq!(
        keyring.secret("AKIAFIXTURE0000000001").as_deref(),
        Some("fixture/secret+one")
    );
    assert_eq!(
        keyring.secret("AKIAFIXTURE0000000002").as_deref(),
        Some("fixture/secret+two")
    );
    assert_eq!(keyring.secret("AKIAFIXTURE0000000003"), None);
    assert_eq!(
        keyring.ids(),
        ["AKIAFIXTURE0000000001", "AKIAFIXTURE0000000002"]
    );
    // Stored again, an item is replaced, as awsenv's set does.
    keyring.store("AKIAFIXTURE0000000001", "fixture/secret+new");
    assert_eq!(
        keyring.secret("AKIAFIXTURE0000000001").as_deref(),
        Some("fixture/secret+new")
    );
    assert_eq!(keyring.ids().len(), 2);
}

#[test]
fn a_locked_keyring_keeps_its_secrets_and_says_no_at_once() {
    let keyring = Keyring::new();
    keyring.store("AKIAFIXTURE0000000004", "fixture/secret+locked");
    keyring.lock();
    let start = Instant::now();
    // secret-tool asks to unlock; with no prompter to be had, the prompt is dismissed.
    assert_eq!(keyring.secret("AKIAFIXTURE0000000004"), None);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(keyring.locked());
    // The attributes stay readable: a locked keyring still lists its ids.
    assert_eq!(keyring.ids(), ["AKIAFIXTURE0000000004"]);
}

#[test]
fn two_keyrings_side_by_side_see_only_their_own_items() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(Keyring::new);
        let b = s.spawn(Keyring::new);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.address(), b.address());
    a.store("AKIAFIXTURE000000000A", "fixture/secret+a");
    b.store("AKIAFIXTURE000000000B", "fixture/secret+b");
    assert_eq!(a.ids(), ["AKIAFIXTURE000000000A"]);
    assert_eq!(b.ids(), ["AKIAFIXTURE000000000B"]);
    assert_eq!(b.secret("AKIAFIXTURE000000000A"), None);
    b.lock();
    assert!(!a.locked());
    assert_eq!(
        a.secret("AKIAFIXTURE000000000A").as_deref(),
        Some("fixture/secret+a")
    );
}

#[test]
fn dropped_it_leaves_no_process_and_no_files() {
    let keyring = Keyring::new();
    keyring.store("AKIAFIXTURE0000000005", "fixture/secret+dropped");
    let pids = keyring.pids();
    let dir = keyring.bus().dir().to_owned();
    for pid in pids {
        assert!(alive(pid), "{pid} is not running");
        // Neither daemon started another (a prompter, an ssh agent, a second bus).
        let children = std::process::Command::new("pgrep")
            .args(["-P", &pid.to_string()])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&children.stdout),
            "",
            "children of {pid}"
        );
    }
    assert!(
        dir.join("home/.local/share/keyrings/login.keyring")
            .exists()
    );
    drop(keyring);
    for pid in pids {
        assert!(!alive(pid), "{pid} outlived its Keyring");
    }
    assert!(!dir.exists(), "{} is left", dir.display());
}

/// Whether `pid` runs (a reaped child has no /proc entry; a zombie would still count).
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_bare_bus_has_no_secret_service_and_starts_none() {
    let bus = bare_bus();
    assert!(!bus.has_owner("org.freedesktop.secrets"));
    let home = Home::new();
    home.use_bus(&bus);
    let out = home
        .command("secret-tool")
        .args([
            "lookup",
            "service",
            "awsenv",
            "username",
            "AKIAFIXTURE0000000006",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not provided by any .service files"),
        "{stderr}"
    );
    assert!(!bus.has_owner("org.freedesktop.secrets"));
}

#[test]
fn a_home_reaches_no_bus_but_the_one_it_is_given() {
    let keyring = Keyring::new();
    keyring.store("AKIAFIXTURE0000000007", "fixture/secret+home");
    let home = Home::new();
    let lookup = || {
        home.command("secret-tool")
            .args([
                "lookup",
                "service",
                "awsenv",
                "username",
                "AKIAFIXTURE0000000007",
            ])
            .output()
            .unwrap()
    };
    // Not the developer's session bus, whatever this process was started with: none.
    let out = lookup();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Could not connect"), "{stderr}");
    home.use_keyring(&keyring);
    let out = lookup();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"fixture/secret+home");
}
