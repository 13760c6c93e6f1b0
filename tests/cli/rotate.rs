//! `awsenv rotate`: a new key replaces the old in the file and at AWS, and a failure at any
//! step leaves a key in the file that works.

use crate::support::{Home, User, moto};
use std::os::unix::fs::PermissionsExt;

fn bob() -> (Home, User) {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    (home, bob)
}

/// The key in the file works: a new session is made with it.
fn works(home: &Home) {
    home.run(&["logout", "bob"]).ok();
    let out = home.run(&["switch", "bob"]).ok();
    assert!(out.stderr.contains("bob: new session"), "{}", out.stderr);
}

#[test]
fn rotate_replaces_the_key_and_drops_its_sessions() {
    let (home, bob) = bob();
    home.run(&["switch", "bob"]).ok();
    std::fs::set_permissions(
        home.credentials_file(),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let before = std::fs::read_to_string(home.credentials_file()).unwrap();
    let out = home.run(&["rotate", "bob"]).ok();
    let new = home.key_in_file("bob");
    assert_ne!(new, bob.access_key_id);
    assert_eq!(
        moto().keys_of(&bob.name),
        std::slice::from_ref(&new),
        "the old key is deleted at AWS"
    );
    assert!(
        out.stderr.contains(&format!(
            "bob: access key {new} replaces {} in {}; {} is deleted, and 1 cached session(s)",
            bob.access_key_id,
            home.credentials_file().display(),
            bob.access_key_id
        )),
        "{}",
        out.stderr
    );
    assert!(
        !home.cache_file("bob").exists(),
        "sessions of the old key are dropped"
    );
    // Only the two key lines changed, and the mode stayed.
    let after = std::fs::read_to_string(home.credentials_file()).unwrap();
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(before.lines().count(), after.lines().count());
    let mode = std::fs::metadata(home.credentials_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    works(&home);
}

#[test]
fn the_old_key_stays_while_another_profile_uses_it() {
    let (home, bob) = bob();
    home.keys("default", &bob);
    let out = home.run(&["rotate", "bob"]).fails(3);
    assert!(
        out.stderr.contains(&format!(
            "[default] still use the old key {}",
            bob.access_key_id
        )),
        "{}",
        out.stderr
    );
    assert_ne!(
        home.key_in_file("bob"),
        bob.access_key_id,
        "[bob] has the new key"
    );
    assert_eq!(
        moto().keys_of(&bob.name).len(),
        2,
        "the old key was not deleted"
    );
    assert!(moto().keys_of(&bob.name).contains(&bob.access_key_id));
}

#[test]
fn a_failure_at_any_step_leaves_a_working_key() {
    // (the step that fails, calls of it to let through first, whether the old key stays)
    for (action, after, old_stays) in [
        ("ListAccessKeys", 0, true),
        ("CreateAccessKey", 0, true),
        ("GetCallerIdentity", 1, true), // the proof that the new key works
        ("DeleteAccessKey", 0, false),
    ] {
        let (home, bob) = bob();
        moto().fail_next(&bob, action, after);
        let out = home.run(&["rotate", "bob"]);
        assert_ne!(out.code, Some(0), "{action}");
        let in_file = home.key_in_file("bob");
        let at_aws = moto().keys_of(&bob.name);
        if old_stays {
            assert_eq!(in_file, bob.access_key_id, "{action}: {}", out.stderr);
            assert_eq!(
                at_aws,
                std::slice::from_ref(&bob.access_key_id),
                "{action}: no new key left behind"
            );
        } else {
            assert_ne!(in_file, bob.access_key_id, "{action}");
            assert_eq!(at_aws.len(), 2, "{action}");
            assert!(
                out.stderr.contains("could not be deleted"),
                "{}",
                out.stderr
            );
            // Now the user has two keys: rotating again is refused, naming the one to delete.
            let again = home.run(&["rotate", "bob"]).fails(3);
            assert!(
                again.stderr.contains(&format!(
                    "already has two access keys, the most IAM allows: delete {}",
                    bob.access_key_id
                )),
                "{}",
                again.stderr
            );
        }
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "{action}: one line: {}",
            out.stderr
        );
        works(&home);
    }
}
