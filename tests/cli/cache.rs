//! The cache's promises: private modes from creation, and files that cannot be trusted are
//! treated as absent (said once) and replaced, never a crash.

use crate::support::{Home, moto};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o777
}

#[test]
fn cache_directory_and_files_are_private_even_with_umask_000() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    let out = home
        .command("sh")
        .args([
            "-c",
            &format!("umask 000; exec {} switch bob", crate::support::AWSENV),
        ])
        .output()
        .unwrap();
    home.output(out, false).ok();
    assert_eq!(mode(&home.cache_dir()), 0o700);
    assert_eq!(mode(&home.cache_file("bob")), 0o600);
    assert_eq!(mode(&home.cache_dir().join("bob.lock")), 0o600);
    // Nothing left behind but the session and its lock.
    let mut names: Vec<String> = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bob.json", "bob.lock"]);
}

/// Something done to a good cache file that makes it untrustworthy.
type Spoil = Box<dyn Fn(&std::path::Path)>;

#[test]
fn untrustworthy_cache_files_are_reported_once_and_replaced() {
    let home = Home::new();
    let bob = moto().user(false);
    home.user_account("bob", &bob);
    home.run(&["switch", "bob"]).ok();
    let good = std::fs::read_to_string(home.cache_file("bob")).unwrap();

    let mut cases: Vec<(&str, Spoil)> = vec![
        (
            "not a valid session file",
            Box::new(|p| std::fs::write(p, "{\"version\": 1, \"acc").unwrap()),
        ),
        (
            "not a valid session file",
            Box::new(|p| std::fs::write(p, "\0\0garbage").unwrap()),
        ),
        (
            "not a valid session file",
            Box::new(|p| std::fs::write(p, "").unwrap()),
        ),
        (
            "format 7",
            Box::new(|p| std::fs::write(p, "{\"version\": 7}").unwrap()),
        ),
        (
            "others may read it (mode 644)",
            Box::new(|p| {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap()
            }),
        ),
    ];
    let truncated = good[..good.len() / 2].to_owned();
    cases.push((
        "not a valid session file",
        Box::new(move |p| std::fs::write(p, &truncated).unwrap()),
    ));
    if nix::unistd::geteuid().is_root() {
        cases.push((
            "belongs to another user",
            Box::new(|p| std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap()),
        ));
    }
    for (reason, spoil) in cases {
        let path = home.cache_file("bob");
        std::fs::write(&path, &good).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        spoil(&path);
        let out = home.run(&["switch", "bob"]).ok();
        let expected = format!("awsenv: ignoring {}: ", path.display());
        assert_eq!(out.stderr.matches(&expected).count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(reason), "{reason}: {}", out.stderr);
        assert!(out.stderr.contains("bob: new session"), "{}", out.stderr);
        // Replaced by a good, private file of ours.
        assert_eq!(home.read_cache("bob")["account"], "bob");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            std::fs::metadata(&path).unwrap().uid(),
            nix::unistd::geteuid().as_raw()
        );
        // list and now read the same file and must not fail on it either.
        spoil(&path);
        home.run(&["list"]).ok();
    }
}

#[test]
fn a_cache_directory_open_to_others_is_refused_with_the_fix() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    std::fs::create_dir_all(home.cache_dir()).unwrap();
    std::fs::set_permissions(home.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = home.run(&["switch", "bob"]).fails(8);
    assert!(
        out.stderr
            .contains(&format!("run chmod 700 {}", home.cache_dir().display())),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn account_names_with_any_characters_get_safe_cache_files() {
    let home = Home::new();
    let bob = moto().user(false);
    let name = "../we ird";
    home.profile(name, &[]).keys(name, &bob);
    home.run(&["switch", name]).ok();
    assert!(home.cache_dir().join("%2E.%2Fwe%20ird.json").exists());
    let listed = home.run(&["list", "--json"]).ok();
    assert!(
        listed.stdout.contains("\"account\": \"../we ird\""),
        "{}",
        listed.stdout
    );
}

#[test]
fn a_fifo_in_the_cache_never_blocks_and_the_hook_stays_silent() {
    let home = Home::new();
    home.user_account("bob", &moto().user(false));
    home.run(&["switch", "bob"]).ok();
    let path = home.cache_file("bob");
    std::fs::remove_file(&path).unwrap();
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let start = std::time::Instant::now();
    let out = home
        .awsenv(&["hook", "bash"])
        .env("AWSENV_ACCOUNT", "bob")
        .env("AWS_ACCESS_KEY_ID", "ASIAWHATEVER")
        .env("AWS_CREDENTIAL_EXPIRATION", crate::support::time_in(3600))
        .output()
        .unwrap();
    let out = home.output(out, true).ok();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        out.stderr, "",
        "the hook leaves unusable files to switch and list"
    );
    let out = home.run(&["switch", "bob"]).ok();
    assert!(
        out.stderr.contains("it is not a regular file"),
        "{}",
        out.stderr
    );
    assert_eq!(home.read_cache("bob")["account"], "bob");
}
