//! A real Secret Service for one test: gnome-keyring-daemon (Debian's), unlocked, on a private
//! D-Bus session of its own, so that what awsenv stores lands in a keychain the test can read
//! back (with secret-tool) and that no developer's keyring ever sees. `bare_bus` is a session
//! with no Secret Service on it at all.
//!
//! The bus's config has no <servicedir>: nothing is ever D-Bus-activated, so a missing Secret
//! Service stays missing (a stock session.conf would start the system's gnome-keyring), and the
//! daemon cannot start a prompter to unlock a locked keyring: the unlock prompt fails at once,
//! as a person declining it would, instead of waiting for a window nobody sees.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// The password of the login keyring: it only has to be the same at creation and unlock.
const PASSWORD: &str = "awsenv-test-keyring";

/// A private D-Bus session daemon, with its temp dir (socket, config, and whatever else lives
/// beside it); both go when it drops.
pub struct Bus {
    address: String,
    dir: PathBuf,
    child: Child,
}

/// A D-Bus session with no Secret Service on it: the "unreachable" keychain.
pub fn bare_bus() -> Bus {
    Bus::start()
}

impl Bus {
    fn start() -> Bus {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "awsenv-test-bus-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        private_dir(&dir);
        // Without receive_sender, dbus-daemon 1.14 delivers no reply, not even its own.
        let config = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.join("bus").display()
        );
        std::fs::write(dir.join("bus.conf"), config).unwrap();
        let mut cmd = Command::new("dbus-daemon");
        cmd.arg(format!("--config-file={}", dir.join("bus.conf").display()))
            .args(["--nofork", "--print-address=1"])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // It warns that it may not raise its fd limit, on every start.
            .stderr(Stdio::null());
        let mut child =
            spawn_daemon(cmd).expect("dbus-daemon is missing: run scripts/test, which installs it");
        // It prints its address once it listens.
        let mut address = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        let bus = Bus {
            address,
            dir,
            child,
        };
        assert!(
            bus.address.starts_with("unix:"),
            "dbus-daemon said {:?}",
            bus.address
        );
        bus
    }

    /// DBUS_SESSION_BUS_ADDRESS for a client of this bus.
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where it keeps its files, and a Keyring its daemon's HOME and XDG_RUNTIME_DIR.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `cmd` with this bus as its session bus and an environment of its own (HOME and
    /// XDG_RUNTIME_DIR in the bus's dir), nothing from the developer's.
    fn environment<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env_clear()
            .env("HOME", self.dir.join("home"))
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
    }

    /// Runs a client of this bus with `args` and `stdin`, killed after 10 s: one waiting on a
    /// reply that never comes (a prompt, a wrong path) would otherwise hang the test for good.
    fn client(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("timeout");
        self.environment(&mut cmd)
            .args(["-k", "1", "10"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or_default().as_bytes())
            .unwrap();
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        assert_ne!(out.status.code(), Some(124), "{} timed out", args[0]);
        out
    }

    /// A method call with dbus-send, which fails the test if the call fails.
    fn call(&self, dest: &str, path: &str, method: &str, args: &[&str]) -> String {
        let mut argv = vec!["dbus-send", "--session", "--print-reply"];
        let dest = format!("--dest={dest}");
        argv.extend([dest.as_str(), path, method]);
        argv.extend(args);
        let out = self.client(&argv, None);
        assert!(out.status.success(), "{method}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Whether a client owns `name` on this bus.
    pub fn has_owner(&self, name: &str) -> bool {
        let name = format!("string:{name}");
        self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &[&name],
        )
        .contains("boolean true")
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// gnome-keyring-daemon's Secret Service on a bus of its own, its login keyring (the default
/// collection) created with the test, and unlocked.
pub struct Keyring {
    daemon: Child,
    // Dropped after the daemon is killed: it holds the dir the daemon keeps its files in.
    bus: Bus,
}

impl Default for Keyring {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyring {
    pub fn new() -> Keyring {
        let bus = Bus::start();
        for dir in ["home", "run"] {
            private_dir(&bus.dir.join(dir));
        }
        let log = std::fs::File::create(bus.dir.join("keyring.log")).unwrap();
        let mut cmd = Command::new("gnome-keyring-daemon");
        bus.environment(&mut cmd)
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log);
        let mut daemon = spawn_daemon(cmd)
            .expect("gnome-keyring-daemon is missing: run scripts/test, which installs it");
        // --unlock reads the password up to end of file.
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(PASSWORD.as_bytes()).unwrap();
        drop(stdin);
        let mut keyring = Keyring { daemon, bus };
        let start = Instant::now();
        while !keyring.bus.has_owner("org.freedesktop.secrets") {
            let exited = keyring.daemon.try_wait().unwrap();
            if exited.is_some() || start.elapsed() > Duration::from_secs(5) {
                let log = std::fs::read_to_string(keyring.bus.dir.join("keyring.log"));
                panic!(
                    "gnome-keyring-daemon did not take org.freedesktop.secrets ({exited:?}):\n{}",
                    log.unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        keyring
    }

    /// DBUS_SESSION_BUS_ADDRESS for a client of this keyring.
    pub fn address(&self) -> &str {
        self.bus.address()
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The processes it started: gnome-keyring-daemon, then dbus-daemon.
    pub fn pids(&self) -> [u32; 2] {
        [self.daemon.id(), self.bus.pid()]
    }

    /// The secret stored for `access_key_id` under the service awsenv, as secret-tool finds
    /// it: None when there is none, or when the keyring is locked (secret-tool asks to unlock
    /// it, and the prompt fails).
    pub fn secret(&self, access_key_id: &str) -> Option<String> {
        let out = self.secret_tool(&["lookup", "service", "awsenv", "username", access_key_id]);
        // secret-tool ends a secret with a newline only on a terminal.
        let secret = String::from_utf8(out.stdout).unwrap();
        (out.status.success() && !secret.is_empty()).then_some(secret)
    }

    /// The access key ids of every item under the service awsenv, sorted. Attributes are not
    /// secret in the Secret Service: this reads them from a locked keyring too.
    pub fn ids(&self) -> Vec<String> {
        let out = self.secret_tool(&["search", "--all", "service", "awsenv"]);
        // secret-tool prints labels and secrets on stdout, attributes on stderr; none found is
        // status 1 and no output.
        let mut ids: Vec<String> = text(&out.stderr)
            .lines()
            .filter_map(|l| l.strip_prefix("attribute.username = "))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    }

    /// Plants an item as awsenv stores one: service awsenv, username the access key id.
    pub fn store(&self, access_key_id: &str, secret: &str) {
        super::register_secret(secret);
        let label = format!("--label=awsenv: {access_key_id}");
        let args = ["secret-tool", "store", &label, "service", "awsenv"];
        let out = self.bus.client(
            &[&args[..], &["username", access_key_id]].concat(),
            Some(secret),
        );
        assert!(
            out.status.success(),
            "secret-tool store: {}",
            text(&out.stderr)
        );
    }

    /// Locks the default collection (the login keyring), as a screen lock would.
    pub fn lock(&self) {
        // `secret-tool lock --collection=PATH` hangs here (libsecret 0.20.5). The service's
        // own Lock needs no prompt.
        self.bus.call(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            &["array:objpath:/org/freedesktop/secrets/aliases/default"],
        );
        assert!(self.locked(), "the default collection is still unlocked");
    }

    /// Whether the default collection is locked.
    pub fn locked(&self) -> bool {
        self.bus
            .call(
                "org.freedesktop.secrets",
                "/org/freedesktop/secrets/aliases/default",
                "org.freedesktop.DBus.Properties.Get",
                &["string:org.freedesktop.Secret.Collection", "string:Locked"],
            )
            .contains("boolean true")
    }

    fn secret_tool(&self, args: &[&str]) -> Output {
        self.bus.client(&[&["secret-tool"], args].concat(), None)
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn private_dir(path: &Path) {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(path)
        .unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Spawns a daemon that gets SIGKILL when the test binary ends: one killed (ctrl-C, a
/// timeout) runs no Drop, and must not leave daemons behind. The parent-death signal comes
/// when the *thread* that spawned the child ends, not the process, so every daemon is spawned
/// from one thread that lives as long as the test binary: a Keyring started in a thread of
/// a test's own must outlive that thread.
fn spawn_daemon(mut cmd: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<Request>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in incoming {
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(requests)
    });
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    let (reply, child) = mpsc::channel();
    let requests = spawner.lock().unwrap_or_else(|e| e.into_inner());
    requests.send((cmd, reply)).unwrap();
    drop(requests);
    child.recv().unwrap()
}
