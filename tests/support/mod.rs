//! What the integration tests share: one patched moto server per test binary, a private home
//! per test (HOME, AWS config files, XDG cache, never the developer's ~/.aws), and a check on
//! every run that no secret reaches a place it must not.

#![allow(dead_code)] // each test binary uses its own part of this

pub mod keyring;
pub mod pty;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

pub const AWSENV: &str = env!("CARGO_BIN_EXE_awsenv");
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

pub fn venv_bin(name: &str) -> PathBuf {
    let path = Path::new(REPO).join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test, which installs the test dependencies",
        path.display()
    );
    path
}

/// The patched moto server (tests/moto/server.py), started once per test binary. It exits
/// when the test binary does: it serves until its stdin, held here, closes.
pub struct Moto {
    pub port: u16,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let (port, child, stdin) = python_server("tests/moto/server.py", &[]);
        Moto {
            port,
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        }
    })
}

/// Starts one of the Python servers of tests/moto with `args`: it says `port N` on its
/// first line, and ends when its stdin closes (when the test binary exits).
fn python_server(script: &str, args: &[&std::ffi::OsStr]) -> (u16, Child, ChildStdin) {
    let mut child = Command::new(venv_bin("python"))
        .arg(Path::new(REPO).join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {script}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{script} said {line:?}"));
    let stdin = child.stdin.take().unwrap();
    (port, child, stdin)
}

/// Runs a Python `script` of the venv's with `args`; what it printed. Fails the test if the
/// script fails.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(venv_bin("python"))
        .args(["-c", script])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A free port on loopback, with nothing listening on it (a dead proxy, a dead endpoint).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits until something listens on `port`.
fn wait_for(port: u16, what: &str) {
    let start = std::time::Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{what} did not start on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A forward proxy on loopback: tinyproxy (Debian's), with a generated config, started once
/// per test binary and kind. It logs each request line (CONNECT host:port, or the URL of a
/// plain http request), never a header. A shell holds it and stops it, and removes its
/// directory, when the test binary exits and its stdin closes.
pub struct Proxy {
    pub port: u16,
    dir: PathBuf,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

/// The user and password `auth_proxy` asks for (tinyproxy allows only `[-a-z0-9._]`).
pub const PROXY_USER: &str = "proxy-user";
pub const PROXY_PASSWORD: &str = "pr0xy-pa55.w0rd";

/// An open proxy.
pub fn proxy() -> &'static Proxy {
    static PROXY: OnceLock<Proxy> = OnceLock::new();
    PROXY.get_or_init(|| Proxy::start("open", ""))
}

/// A proxy that wants PROXY_USER and PROXY_PASSWORD (basic auth).
pub fn auth_proxy() -> &'static Proxy {
    static PROXY: OnceLock<Proxy> = OnceLock::new();
    register_secret(PROXY_PASSWORD);
    PROXY.get_or_init(|| {
        Proxy::start(
            "auth",
            &format!("BasicAuth {PROXY_USER} {PROXY_PASSWORD}\n"),
        )
    })
}

impl Proxy {
    fn start(kind: &str, extra: &str) -> Proxy {
        let tinyproxy = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("tinyproxy is missing: run scripts/test, which installs it");
        let dir =
            std::env::temp_dir().join(format!("awsenv-test-proxy-{}-{kind}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let config = format!(
            "Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 100\n\
             LogLevel Connect\nLogFile \"{}\"\nDisableViaHeader Yes\n{extra}",
            dir.join("log").display()
        );
        std::fs::write(dir.join("tinyproxy.conf"), config).unwrap();
        let mut child = Command::new("sh")
            .args([
                "-c",
                "\"$1\" -d -c \"$2/tinyproxy.conf\" & read -r _; kill $!; wait; rm -rf \"$2\"",
                "sh",
                tinyproxy,
            ])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tinyproxy");
        wait_for(port, "tinyproxy");
        let stdin = child.stdin.take().unwrap();
        Proxy {
            port,
            dir,
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The URL with PROXY_USER and `password` in it.
    pub fn url_with(&self, password: &str) -> String {
        format!("http://{PROXY_USER}:{password}@127.0.0.1:{}", self.port)
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

/// A TLS endpoint for moto (tests/moto/tls.py), its certificate signed by a private CA made at
/// start, once per test binary.
pub struct Tls {
    pub port: u16,
    dir: PathBuf,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

pub fn tls() -> &'static Tls {
    static TLS: OnceLock<Tls> = OnceLock::new();
    TLS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("awsenv-test-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let moto_port = moto().port.to_string();
        let (port, child, stdin) =
            python_server("tests/moto/tls.py", &[moto_port.as_ref(), dir.as_os_str()]);
        Tls {
            port,
            dir,
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        }
    })
}

impl Tls {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The CA that signed its certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A CA that did not.
    pub fn other_ca(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub mfa_serial: Option<String>,
    pub seed: Option<String>,
}

impl Moto {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn request(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 200 "), "{method} {path}: {status}");
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut response = vec![0; length];
        reader.read_exact(&mut response).unwrap();
        serde_json::from_slice(&response).unwrap()
    }

    /// A new IAM user with an active key and, if asked, an enabled virtual MFA device.
    pub fn user(&self, mfa: bool) -> User {
        self.user_in("aws", mfa)
    }

    /// A new IAM user in a partition (`aws`, `aws-cn`, `aws-us-gov`), whose IAM only that
    /// partition's regions reach.
    pub fn user_in(&self, partition: &str, mfa: bool) -> User {
        let body = serde_json::json!({ "mfa": mfa, "partition": partition });
        let v = self.request("POST", "/_awsenv/users", &body);
        let s = |k: &str| v[k].as_str().map(str::to_owned);
        let user = User {
            name: s("name").unwrap(),
            arn: s("arn").unwrap(),
            access_key_id: s("access_key_id").unwrap(),
            secret_access_key: s("secret_access_key").unwrap(),
            mfa_serial: s("mfa_serial"),
            seed: s("seed"),
        };
        register_secret(&user.secret_access_key);
        user
    }

    /// A role the account may assume, with the trust conditions given.
    pub fn role(&self, require_mfa: bool, external_id: Option<&str>, max: u32) -> String {
        self.role_in("aws", require_mfa, external_id, max)
    }

    pub fn role_in(
        &self,
        partition: &str,
        require_mfa: bool,
        external_id: Option<&str>,
        max: u32,
    ) -> String {
        let v = self.request(
            "POST",
            "/_awsenv/roles",
            &serde_json::json!({
                "require_mfa": require_mfa,
                "external_id": external_id,
                "max_session_duration": max,
                "partition": partition,
            }),
        );
        v["arn"].as_str().unwrap().to_owned()
    }

    pub fn deactivate(&self, access_key_id: &str) {
        self.request(
            "POST",
            "/_awsenv/keys/deactivate",
            &serde_json::json!({ "access_key_id": access_key_id }),
        );
    }

    /// The current TOTP code of a seed (offset in 30 s steps).
    pub fn totp(&self, seed: &str, offset: i32) -> String {
        let path = format!("/_awsenv/totp?seed={seed}&offset={offset}");
        let v = self.request("GET", &path, &Value::Null);
        v["code"].as_str().unwrap().to_owned()
    }

    pub fn code(&self, user: &User) -> String {
        self.totp(user.seed.as_deref().expect("user has MFA"), 0)
    }

    /// Lets `after` calls of `action` by `user` through, then fails the next (AccessDenied).
    pub fn fail_next(&self, user: &User, action: &str, after: u32) {
        let body =
            serde_json::json!({ "action": action, "user": user.name, "after": after, "times": 1 });
        self.request("POST", "/_awsenv/fail", &body);
    }

    /// Answers the next `times` calls of `action` by `user` with 503 ServiceUnavailable,
    /// which the SDKs retry.
    pub fn unavailable(&self, user: &User, action: &str, times: u32) {
        let body = serde_json::json!({
            "action": action, "user": user.name, "times": times, "status": 503,
        });
        self.request("POST", "/_awsenv/fail", &body);
    }

    /// The access key ids of an IAM user, straight from moto.
    pub fn keys_of(&self, user: &str) -> Vec<String> {
        let v = self.request("GET", &format!("/_awsenv/keys?user={user}"), &Value::Null);
        v.as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    }

    /// Every virtual MFA device, as (serial, user name if enabled for one).
    pub fn mfa_devices(&self) -> Vec<(String, Option<String>)> {
        let v = self.request("GET", "/_awsenv/mfa-devices", &Value::Null);
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let user = d["user"].as_str().map(str::to_owned);
                (d["serial"].as_str().unwrap().to_owned(), user)
            })
            .collect()
    }

    /// Caps the sessions moto issues to `user` (and to sessions made from its key), in
    /// seconds: AssumeRole (`role`) and GetSessionToken (`session`).
    pub fn lifetimes(&self, user: &User, role: Option<u32>, session: Option<u32>) {
        self.request(
            "POST",
            "/_awsenv/lifetimes",
            &serde_json::json!({ "user": user.name, "role": role, "session": session }),
        );
    }

    /// Makes AWS's clock run `offset` seconds ahead of this machine's (behind when negative)
    /// for `user`'s calls and the sessions made from them: a machine whose clock is off.
    pub fn clock(&self, user: &User, offset: i64) {
        self.request(
            "POST",
            "/_awsenv/clock",
            &serde_json::json!({ "user": user.name, "offset": offset }),
        );
    }

    /// AssumeRole calls made with the session `source` has cached in `home` (a role's
    /// renewals, when `source` is the MFA user it is assumed from).
    pub fn assume_role_calls(&self, home: &Home, source: &str) -> usize {
        let key = home.read_cache(source)["access_key_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let calls = self.calls_by(&key);
        calls.iter().filter(|c| *c == "AssumeRole").count()
    }

    /// STS/IAM actions made with `access_key_id`, in order.
    pub fn calls_by(&self, access_key_id: &str) -> Vec<String> {
        let calls = self.calls_with(access_key_id);
        calls
            .iter()
            .map(|c| c["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// STS/IAM calls made with `access_key_id`, in order, each as moto logged it: action,
    /// status, user agent.
    pub fn calls_with(&self, access_key_id: &str) -> Vec<Value> {
        let v = self.request("GET", "/_awsenv/calls", &Value::Null);
        let calls = v.as_array().unwrap().iter();
        calls
            .filter(|c| c["access_key_id"] == access_key_id)
            .cloned()
            .collect()
    }
}

/// Every secret the tests have seen: users' secret keys and the sessions awsenv cached.
fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(Default::default)
}

pub fn register_secret(secret: &str) {
    let mut all = secrets().lock().unwrap_or_else(|e| e.into_inner());
    if !secret.is_empty() && !all.iter().any(|s| s == secret) {
        all.push(secret.to_owned());
    }
}

/// Fails the test if any known secret appears in `text`.
pub fn assert_no_secret(text: &str, what: &str) {
    for secret in secrets().lock().unwrap_or_else(|e| e.into_inner()).iter() {
        assert!(
            !text.contains(secret.as_str()),
            "a secret leaked into {what}:\n{text}"
        );
    }
}

pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(self) -> Out {
        assert_eq!(self.code, Some(0), "failed: {}{}", self.stdout, self.stderr);
        self
    }

    pub fn fails(self, code: i32) -> Out {
        assert_eq!(
            self.code,
            Some(code),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A private home for one test. Everything awsenv or the AWS CLI might read lives inside it.
pub struct Home {
    pub dir: PathBuf,
    /// The D-Bus session its processes get: none (an address where no bus listens) until
    /// `use_bus` or `use_keyring`.
    bus: Mutex<Option<String>>,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Home {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "awsenv-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.join("xdg-runtime"))
            .unwrap();
        Home {
            dir,
            bus: Mutex::new(None),
        }
    }

    /// Its processes reach `keyring` as their Secret Service (and nothing else on a bus).
    pub fn use_keyring(&self, keyring: &keyring::Keyring) -> &Self {
        self.use_bus(keyring.bus())
    }

    /// Its processes get `bus` as their D-Bus session (`keyring::bare_bus()`: one where no
    /// Secret Service answers).
    pub fn use_bus(&self, bus: &keyring::Bus) -> &Self {
        *self.bus.lock().unwrap() = Some(bus.address().to_owned());
        self
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.join(".aws/config")
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.dir.join(".aws/credentials")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("xdg-cache/awsenv")
    }

    pub fn cache_file(&self, account: &str) -> PathBuf {
        self.cache_dir().join(format!("{account}.json"))
    }

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Adds `[profile name]` with these settings to the config file.
    pub fn profile(&self, name: &str, settings: &[(&str, &str)]) -> &Self {
        let header = if name == "default" {
            "[default]".to_owned()
        } else {
            format!("[profile {name}]")
        };
        let mut text = format!("\n{header}\n");
        for (k, v) in settings {
            text.push_str(&format!("{k} = {v}\n"));
        }
        Self::append(&self.config_file(), &text);
        self
    }

    /// Adds the user's keys as `[name]` to the credentials file.
    pub fn keys(&self, name: &str, user: &User) -> &Self {
        Self::append(
            &self.credentials_file(),
            &format!(
                "\n[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                user.access_key_id, user.secret_access_key
            ),
        );
        self
    }

    /// The access key id in `[name]` of the credentials file; its secret becomes known to
    /// the leak check (a rotation writes a new one).
    pub fn key_in_file(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.credentials_file()).unwrap();
        let section = text.split(&format!("[{name}]")).nth(1).unwrap();
        let section = section.split("\n[").next().unwrap();
        let value = |key: &str| {
            section
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim_start_matches([' ', '=']).to_owned())
                .unwrap()
        };
        register_secret(&value("aws_secret_access_key"));
        value("aws_access_key_id")
    }

    /// A user account `name` with keys, MFA device (if the user has one) and a region.
    pub fn user_account(&self, name: &str, user: &User) -> &Self {
        let mut settings = vec![("region", "eu-west-1")];
        if let Some(serial) = &user.mfa_serial {
            settings.push(("mfa_serial", serial));
        }
        self.profile(name, &settings).keys(name, user)
    }

    /// A role account `name` assumed with `source`'s credentials.
    pub fn role_account(&self, name: &str, role_arn: &str, source: &str) -> &Self {
        self.profile(name, &[("role_arn", role_arn), ("source_profile", source)])
    }

    /// The environment every process of this test gets, and nothing from the developer's.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", &self.dir)
            .env(
                "PATH",
                format!(
                    "{}:{}:/usr/local/bin:/usr/bin:/bin",
                    Path::new(AWSENV).parent().unwrap().display(),
                    venv_bin("python").parent().unwrap().display()
                ),
            )
            .env("AWS_CONFIG_FILE", self.config_file())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("XDG_CACHE_HOME", self.dir.join("xdg-cache"))
            .env("AWS_ENDPOINT_URL", moto().url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Never the developer's session bus, nor their keyring on it: no bus at all (a
            // path where nothing listens) unless the test gave it one. D-Bus clients look in
            // XDG_RUNTIME_DIR for a bus when the address is unset.
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus_address())
            .env("XDG_RUNTIME_DIR", self.dir.join("xdg-runtime"))
            .env("SHELL", "/bin/bash")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null());
        cmd
    }

    fn bus_address(&self) -> String {
        let bus = self.bus.lock().unwrap();
        let none = || format!("unix:path={}", self.dir.join("no-bus").display());
        bus.clone().unwrap_or_else(none)
    }

    /// The real AWS CLI asking STS who `profile` is, printing the ARN alone.
    pub fn aws_caller(&self, profile: &str) -> Command {
        let mut cmd = self.command(venv_bin("aws"));
        cmd.args(["sts", "get-caller-identity", "--profile", profile])
            .args(["--query", "Arn", "--output", "text"]);
        cmd
    }

    pub fn awsenv(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(AWSENV);
        cmd.args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let prints_secrets = args
            .iter()
            .any(|a| matches!(*a, "switch" | "mfa" | "exec" | "export"));
        self.output(self.awsenv(args).output().unwrap(), !prints_secrets)
    }

    /// Runs a bash script in this home (the shell code awsenv prints is meant for a shell).
    pub fn bash(&self, script: &str) -> Out {
        let mut cmd = self.command("bash");
        cmd.args(["--norc", "--noprofile", "-c", script]);
        self.output(cmd.output().unwrap(), false)
    }

    /// Records the secrets of cached sessions, then checks stderr (and stdout, where no
    /// secret belongs) for every secret seen so far.
    pub fn output(&self, out: Output, check_stdout: bool) -> Out {
        if let Ok(entries) = std::fs::read_dir(self.cache_dir()) {
            // Regular files only: a test may plant a FIFO there, and reading it would block.
            for entry in entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            {
                if let Ok(text) = std::fs::read_to_string(entry.path())
                    && let Ok(v) = serde_json::from_str::<Value>(&text)
                {
                    for k in ["secret_access_key", "session_token"] {
                        if let Some(s) = v[k].as_str() {
                            register_secret(s);
                        }
                    }
                }
            }
        }
        let out = Out {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_no_secret(&out.stderr, "stderr");
        if check_stdout {
            assert_no_secret(&out.stdout, "stdout");
        }
        out
    }

    pub fn read_cache(&self, account: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.cache_file(account)).unwrap()).unwrap()
    }

    pub fn write_cache(&self, account: &str, value: &Value) {
        std::fs::write(self.cache_file(account), value.to_string()).unwrap();
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// RFC 3339 UTC, whole seconds, `secs` from now: an expiration to write into a cache file.
pub fn time_in(secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
    t.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}
