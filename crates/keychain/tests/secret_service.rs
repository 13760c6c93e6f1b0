//! The Secret Service code against a real GNOME Keyring, each on a private D-Bus session bus
//! of its own, in a temporary HOME.
//!
//! The bus address is read from the environment when a connection opens, and the
//! environment is one per process while tests run on threads: so each test's keychain calls
//! run in a child, this same test binary started again to run only `child`, which calls the
//! scenario that KC_CHILD names. The parent owns the daemons and looks at the keyring from
//! outside (dbus-send, secret-tool).

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use awsenv_keychain::{Error, Keychain};

const ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const OTHER_ID: &str = "AKIAI44QH8DHBEXAMPLE";

/// A session bus that can start nothing: the standard session.conf names the service
/// directories, from which the bus would start GNOME Keyring on the first call to
/// org.freedesktop.secrets, and a test of "no Secret Service" would find one.
/// `SERVICE_DIR` is replaced by a directory of the test's own, or by nothing.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  SERVICE_DIR
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A temporary HOME with a private session bus, and GNOME Keyring on it once started.
struct Desk {
    dir: PathBuf,
    bus: Child,
    address: String,
    keyring: Option<Child>,
}

fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// None, having said why, when this system lacks the programs.
fn desk() -> Option<Desk> {
    desk_with(None)
}

/// With `secret_service_exec`, the bus can start the Secret Service, by running it.
fn desk_with(secret_service_exec: Option<&str>) -> Option<Desk> {
    if let Some(missing) = ["gnome-keyring-daemon", "dbus-daemon", "dbus-send"]
        .into_iter()
        .find(|program| !installed(program))
    {
        println!("skipped: {missing} is not installed");
        return None;
    }
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "awsenv-keychain-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("run")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let service_dir = match secret_service_exec {
        Some(exec) => {
            let services = dir.join("services");
            std::fs::create_dir(&services).unwrap();
            std::fs::write(
                services.join("org.freedesktop.secrets.service"),
                format!("[D-BUS Service]\nName=org.freedesktop.secrets\nExec={exec}\n"),
            )
            .unwrap();
            format!("<servicedir>{}</servicedir>", services.display())
        }
        None => String::new(),
    };
    std::fs::write(
        dir.join("bus.conf"),
        BUS_CONFIG.replace("SERVICE_DIR", &service_dir),
    )
    .unwrap();
    let mut bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", dir.join("bus.conf").display()))
        .args(["--print-address", "--nofork"])
        .stdout(Stdio::piped())
        // It says it may not raise its file limit, when not root.
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let address = address.trim().to_owned();
    assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
    Some(Desk {
        dir,
        bus,
        address,
        keyring: None,
    })
}

impl Desk {
    fn env(&self, command: &mut Command) {
        command
            .env("HOME", &self.dir)
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// Starts GNOME Keyring; with `password`, unlocking (or creating) the login keyring
    /// with it, as a display manager does at login.
    fn start_keyring(&mut self, password: Option<&str>) {
        let mut command = Command::new("gnome-keyring-daemon");
        command
            .args(["--foreground", "--components=secrets"])
            .args(password.map(|_| "--unlock"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.env(&mut command);
        let mut keyring = command.spawn().unwrap();
        let mut stdin = keyring.stdin.take().unwrap();
        if let Some(password) = password {
            stdin.write_all(password.as_bytes()).unwrap();
        }
        drop(stdin);
        self.keyring = Some(keyring);
        let start = Instant::now();
        while !self.has_secret_service() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "GNOME Keyring did not come onto the bus"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop_keyring(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            keyring.kill().unwrap();
            keyring.wait().unwrap();
        }
        let start = Instant::now();
        while self.has_secret_service() {
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn has_secret_service(&self) -> bool {
        let reply = self.dbus_send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ]);
        reply.contains("boolean true")
    }

    /// Locks the default collection, as the desktop does on "lock keyring".
    fn lock(&self) {
        self.dbus_send(&[
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/aliases/default",
        ]);
    }

    fn dbus_send(&self, args: &[&str]) -> String {
        let mut command = Command::new("dbus-send");
        command.args(["--session", "--print-reply"]).args(args);
        self.env(&mut command);
        let out = command.output().unwrap();
        assert!(out.status.success(), "dbus-send {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// The secret as libsecret finds it, None when secret-tool is not installed.
    fn secret_tool_lookup(&self, id: &str) -> Option<String> {
        if !installed("secret-tool") {
            return None;
        }
        let mut command = Command::new("secret-tool");
        command.args(["lookup", "service", "awsenv", "username", id]);
        self.env(&mut command);
        let out = command.output().unwrap();
        Some(String::from_utf8(out.stdout).unwrap())
    }

    /// Runs `scenario` (see `child`) with this desk's environment.
    fn child(&self, scenario: &str) {
        self.child_with(scenario, |command| self.env(command));
    }

    fn child_with(&self, scenario: &str, env: impl FnOnce(&mut Command)) {
        run_child(scenario, env);
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            let _ = keyring.kill();
            let _ = keyring.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run_child(scenario: &str, env: impl FnOnce(&mut Command)) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("KC_CHILD", scenario);
    env(&mut command);
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Shown with --nocapture: the timings the scenarios print.
    // (The harness's "test child ... " has no newline after it.)
    for line in stdout
        .lines()
        .filter_map(|line| line.find("kc: ").map(|at| &line[at..]))
    {
        println!("{line}");
    }
    assert!(
        out.status.success(),
        "scenario {scenario} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Not a test of its own: the body of the children the tests start.
#[test]
fn child() {
    let Ok(scenario) = std::env::var("KC_CHILD") else {
        return;
    };
    match scenario.as_str() {
        "round_trip" => round_trip(),
        "unreachable_no_bus" => unreachable("no D-Bus session bus"),
        "unreachable_no_service" => unreachable("no Secret Service"),
        "unreachable_not_started" => unreachable("could not be started"),
        "write_locked_unlocked_once" => write(),
        "locked_unlocked_once" => locked(true),
        "locked_from_disk" => locked(false),
        "interactive_unlock_without_prompter" => interactive_unlock_without_prompter(),
        "no_default_collection" => no_default_collection(),
        "replace_foreign" => replace_foreign(),
        other => panic!("no scenario {other}"),
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    println!("kc: {what}: {:?}", start.elapsed());
    value
}

fn round_trip() {
    let keychain = timed("open", || Keychain::open(false).unwrap());
    assert_eq!(Keychain::NAME, "the Secret Service");
    assert!(!keychain.locked().unwrap());
    assert_eq!(keychain.get(ID).unwrap(), None);
    assert!(!keychain.delete(ID).unwrap());
    assert_eq!(keychain.list().unwrap(), Vec::<String>::new());

    keychain.set(ID, "first", "awsenv: work").unwrap();
    keychain.set(ID, SECRET, "awsenv: work (rotated)").unwrap();
    keychain.set(OTHER_ID, "other", "awsenv: personal").unwrap();
    assert_eq!(keychain.get(ID).unwrap().as_deref(), Some(SECRET));
    assert_eq!(keychain.get(OTHER_ID).unwrap().as_deref(), Some("other"));
    assert_eq!(keychain.list().unwrap(), [OTHER_ID, ID]);

    timed("open+get", || {
        Keychain::open(false).unwrap().get(ID).unwrap().unwrap()
    });

    assert!(keychain.delete(OTHER_ID).unwrap());
    assert!(!keychain.delete(OTHER_ID).unwrap());
    assert_eq!(keychain.get(OTHER_ID).unwrap(), None);
    assert_eq!(keychain.list().unwrap(), [ID]);
}

/// An item the keyring crate wrote, with its extra attributes, and in another collection
/// (GNOME Keyring's in-memory "session" one), where set's replace=true does not reach:
/// found, and replaced.
fn replace_foreign() {
    let keychain = Keychain::open(false).unwrap();
    assert_eq!(keychain.get(ID).unwrap().as_deref(), Some("stale"));
    assert_eq!(keychain.list().unwrap(), [ID]);
    keychain.set(ID, SECRET, "awsenv: work").unwrap();
    assert_eq!(keychain.get(ID).unwrap().as_deref(), Some(SECRET));
    assert_eq!(keychain.list().unwrap(), [ID]);
}

fn unreachable(says: &str) {
    match timed("open", || Keychain::open(false)) {
        Err(Error::Unreachable(why)) => assert!(why.contains(says), "{why}"),
        Err(e) => panic!("not Unreachable: {e:?}"),
        Ok(_) => panic!("opened"),
    }
}

fn write() {
    let keychain = Keychain::open(false).unwrap();
    keychain.set(ID, SECRET, "awsenv: work").unwrap();
    keychain.set(OTHER_ID, "other", "awsenv: personal").unwrap();
}

fn is_locked<T: std::fmt::Debug>(result: awsenv_keychain::Result<T>) {
    match result {
        Err(Error::Locked(why)) => assert_eq!(why, "the keychain is locked"),
        other => panic!("not Locked: {other:?}"),
    }
}

/// `readable`: the keyring was unlocked since it was loaded, so GNOME Keyring still shows
/// the attributes of its items; loaded from disk and never unlocked, it shows only hashes.
fn locked(readable: bool) {
    let (keychain, result) = timed("open(false)+get, locked", || {
        let keychain = Keychain::open(false).unwrap();
        let result = keychain.get(ID);
        (keychain, result)
    });
    is_locked(result);
    assert!(keychain.locked().unwrap());
    // Found by hashed attributes, locked or not.
    assert_eq!(keychain.get("AKIANOTSTOREDEXAMPLE").unwrap(), None);
    assert!(!keychain.delete("AKIANOTSTOREDEXAMPLE").unwrap());
    is_locked(keychain.delete(ID));
    is_locked(keychain.set(ID, "new", "awsenv: work"));
    if readable {
        assert_eq!(keychain.list().unwrap(), [OTHER_ID, ID]);
    } else {
        is_locked(keychain.list());
    }
}

/// Unlocking shows GNOME Keyring's prompt, through a prompter (gcr-prompter) that this
/// private bus cannot start: it must end as Locked, not wait forever.
fn interactive_unlock_without_prompter() {
    let keychain = Keychain::open(true).unwrap();
    match timed("open(true)+get, no prompter", || keychain.get(ID)) {
        Err(Error::Locked(why)) => println!("kc: said {why:?}"),
        other => panic!("not Locked: {other:?}"),
    }
}

fn no_default_collection() {
    let keychain = Keychain::open(false).unwrap();
    assert!(!keychain.locked().unwrap());
    assert_eq!(keychain.get(ID).unwrap(), None);
    assert_eq!(keychain.list().unwrap(), Vec::<String>::new());
    match keychain.set(ID, SECRET, "awsenv: work") {
        Err(Error::Locked(why)) => assert!(why.contains("no default keyring"), "{why}"),
        other => panic!("not Locked: {other:?}"),
    }
}

#[test]
fn round_trip_and_replace() {
    let Some(mut desk) = desk() else { return };
    desk.start_keyring(Some("login password"));
    desk.child("round_trip");
    // What other tools find: the same item, by the same attributes.
    if let Some(found) = desk.secret_tool_lookup(ID) {
        assert_eq!(found, SECRET);
    }
    // One item per id: the replaced one is gone.
    let items = desk.awsenv_items();
    assert_eq!(
        items
            .matches("/org/freedesktop/secrets/collection/")
            .count(),
        1,
        "{items}"
    );
    let path = items
        .split('"')
        .find(|s| s.starts_with("/org/freedesktop/secrets/collection/"))
        .unwrap();
    let label = desk.dbus_send(&[
        "--dest=org.freedesktop.secrets",
        path,
        "org.freedesktop.DBus.Properties.Get",
        "string:org.freedesktop.Secret.Item",
        "string:Label",
    ]);
    assert!(label.contains("\"awsenv: work (rotated)\""), "{label}");
}

impl Desk {
    fn awsenv_items(&self) -> String {
        self.dbus_send(&[
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.SearchItems",
            "dict:string:string:service,awsenv",
        ])
    }
}

#[test]
fn set_replaces_another_tools_item() {
    let Some(mut desk) = desk() else { return };
    if !installed("secret-tool") {
        println!("skipped: secret-tool is not installed");
        return;
    }
    desk.start_keyring(Some("login password"));
    let mut store = Command::new("secret-tool");
    store
        .args(["store", "--label=keyring crate", "--collection=session"])
        .args(["service", "awsenv", "username", ID])
        .args(["target", "default", "application", "rust-keyring"])
        .stdin(Stdio::piped());
    desk.env(&mut store);
    let mut store = store.spawn().unwrap();
    store.stdin.take().unwrap().write_all(b"stale").unwrap();
    assert!(store.wait().unwrap().success());
    desk.child("replace_foreign");
    let items = desk.awsenv_items();
    assert_eq!(
        items
            .matches("/org/freedesktop/secrets/collection/")
            .count(),
        1,
        "{items}"
    );
}

#[test]
fn no_session_bus() {
    if !installed("dbus-daemon") {
        println!("skipped: dbus-daemon is not installed");
        return;
    }
    let dir = Path::new("/nonexistent");
    run_child("unreachable_no_bus", |command| {
        command
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env("XDG_RUNTIME_DIR", dir);
    });
    // A socket nobody listens on any more.
    let dead = std::env::temp_dir().join(format!("awsenv-keychain-{}-dead", std::process::id()));
    drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
    run_child("unreachable_no_bus", |command| {
        command.env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dead.display()),
        );
    });
    std::fs::remove_file(&dead).unwrap();
    // Where zbus looks when the variable is unset: $XDG_RUNTIME_DIR/bus.
    run_child("unreachable_no_bus", |command| {
        command
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", dir);
    });
}

#[test]
fn no_secret_service_on_the_bus() {
    let Some(desk) = desk() else { return };
    desk.child("unreachable_no_service");
}

#[test]
fn secret_service_that_fails_to_start() {
    let Some(desk) = desk_with(Some("/bin/false")) else {
        return;
    };
    desk.child("unreachable_not_started");
}

#[test]
fn locked_keychain() {
    let Some(mut desk) = desk() else { return };
    desk.start_keyring(Some("login password"));
    desk.child("write_locked_unlocked_once");
    desk.lock();
    desk.child("locked_unlocked_once");
    desk.child("interactive_unlock_without_prompter");
    // After a restart without the password, as after a login that did not unlock it.
    desk.stop_keyring();
    desk.start_keyring(None);
    desk.child("locked_from_disk");
    desk.child("interactive_unlock_without_prompter");
}

#[test]
fn keyring_never_created() {
    let Some(mut desk) = desk() else { return };
    desk.start_keyring(None);
    desk.child("no_default_collection");
}
