//! Every setting awsenv takes from the environment, read once into one typed value. The rest
//! of the code is handed `Settings` and reads no environment variable itself, so a command is
//! a function of its arguments, its settings, what the shell has (`current`) and the files it
//! reads. Flags that a variable can also give (`AWSENV_MFA_CODE`, `AWSENV_SESSION_DURATION`,
//! `AWSENV_DEBUG`) are clap's, beside the flags in `cli`.

use crate::clock;
use crate::error::{Result, fail};
use crate::profile::Files;
use crate::secret::Secret;
use crate::shell::Shell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How long before its end a session counts as expired, unless `AWSENV_EXPIRY_MARGIN` says.
pub const DEFAULT_MARGIN: i64 = 300;
/// How long to wait for AWS (every attempt of a call together), unless `AWSENV_TIMEOUT` says.
const DEFAULT_TIMEOUT: u64 = 10;
/// How long an `mfa_process` may take (a security key waiting for a touch), unless
/// `AWSENV_MFA_PROCESS_TIMEOUT` says.
const DEFAULT_MFA_PROCESS_TIMEOUT: u32 = 60;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `$HOME`, or the home of the user's /etc/passwd entry when HOME is unset or relative
    /// (sudo -E, cron): a relative home would make every path depend on the working directory.
    pub home: PathBuf,
    /// `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, as the AWS CLI finds them.
    pub files: Files,
    /// `$XDG_CACHE_HOME/awsenv`, default `~/.cache/awsenv`.
    pub cache_dir: PathBuf,
    /// `AWSENV_EXPIRY_MARGIN`, kept unparsed when invalid: commands refuse it, the hook (which
    /// must never fail) falls back to the default.
    margin: std::result::Result<i64, String>,
    /// `AWSENV_TIMEOUT`, likewise.
    timeout: std::result::Result<u64, String>,
    /// `AWSENV_MFA_PROCESS_TIMEOUT`, likewise.
    mfa_process_timeout: std::result::Result<u32, String>,
    /// `AWSENV_SESSION_DURATION` and `AWSENV_ROLE_DURATION`: the length asked of
    /// GetSessionToken and of AssumeRole where neither `--duration` nor the profile's
    /// `duration_seconds` says (as aws-vault's AWS_SESSION_TOKEN_TTL and AWS_ASSUME_ROLE_TTL).
    session_duration: std::result::Result<Option<u32>, String>,
    role_duration: std::result::Result<Option<u32>, String>,
    /// `AWS_STS_REGIONAL_ENDPOINTS` (`legacy` or `regional`), which wins over the profile's
    /// `sts_regional_endpoints`; read only by a call to AWS, so the hook never parses it.
    sts_regional_endpoints: Option<String>,
    /// `NO_COLOR` turns colours off, `AWSENV_COLORS=0/1` decides, else any terminal but `dumb`.
    pub colors: bool,
    /// `AWSENV_RENEW=0` (or false, no, off) turns off renewing sessions without a person, in
    /// every shell; a profile's `awsenv_renew = false` turns it off for its account.
    pub renew: bool,
    /// `AWSENV_SIGNIN_URL`: the federation endpoint `login` gets its sign-in token from,
    /// instead of the account's partition's.
    pub signin_url: Option<String>,
    /// `AWSENV_SHELL` (set by the integration), else the login shell's, else bash.
    pub shell: Shell,
    /// `$SHELL`, the user's login shell: `awsenv shell` starts it, `doctor` reads its rc file.
    pub login_shell: Option<String>,
    /// `$ZDOTDIR`, where zsh finds its rc files.
    pub zdotdir: Option<PathBuf>,
    /// `$USER`: the IAM user name the ec2switch tools assumed.
    pub user: Option<String>,
    /// `$PATH`, for `doctor` to find which awsenv a shell runs.
    pub path: Option<OsString>,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, kept as set: only a request
    /// to AWS parses them (`proxy_for`), so that the prompt hook never pays for it.
    proxies: Proxies,
    /// `AWS_CA_BUNDLE`: a PEM file of CA certificates trusted besides the system's.
    pub ca_bundle: Option<PathBuf>,
    /// `REQUESTS_CA_BUNDLE`, which the AWS CLI takes when neither `AWS_CA_BUNDLE` nor the
    /// profile's `ca_bundle` is set.
    pub requests_ca_bundle: Option<PathBuf>,
}

/// The proxy variables, each the first set of its lower-case and upper-case spelling (the
/// lower case wins, as in the AWS CLI and curl).
#[derive(Debug, Clone, Default)]
struct Proxies {
    http: Option<ProxyVar>,
    https: Option<ProxyVar>,
    all: Option<ProxyVar>,
    no_proxy: Option<String>,
}

/// A proxy variable's name and value; the value may hold a password.
#[derive(Debug, Clone)]
struct ProxyVar {
    name: &'static str,
    value: Secret,
}

/// The proxy a request goes through, unless `no_proxy` lists its host.
#[derive(Debug, Clone, PartialEq)]
pub struct Proxy {
    /// The variable it came from, which messages name.
    pub variable: &'static str,
    /// `scheme://host:port`, without credentials: all that messages and --debug show.
    pub shown: String,
    /// `scheme://[user:password@]host:port`, as the HTTP client takes it.
    pub url: Secret,
    /// The user and password as written in the URL, for keeping them out of messages.
    pub credentials: Option<Secret>,
    /// `NO_PROXY`: hosts, domains and networks reached directly.
    pub no_proxy: Option<String>,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings::from(|name| std::env::var_os(name).filter(|v| !v.is_empty()))
    }

    /// Reads every setting through `var`, which tests feed.
    pub fn from(var: impl Fn(&str) -> Option<OsString>) -> Settings {
        let text = |name: &str| var(name).and_then(|v| v.into_string().ok());
        let home = match var("HOME").map(PathBuf::from) {
            Some(home) if home.is_absolute() => home,
            _ => passwd_home(nix::unistd::geteuid().as_raw()).unwrap_or_else(|| "/".into()),
        };
        let aws_file = |name: &str, default: &str| match text(name) {
            Some(path) => expand_tilde(&path, &home),
            None => home.join(".aws").join(default),
        };
        // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
        let cache_base = match var("XDG_CACHE_HOME").map(PathBuf::from) {
            Some(p) if p.is_absolute() => p,
            _ => home.join(".cache"),
        };
        let span = |name: &str| {
            text(name)
                .map(|v| clock::parse_duration(&v).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        let shell_named = |name: &str| {
            let value = text(name)?;
            let name = value.rsplit('/').next()?.trim_start_matches('-');
            clap::ValueEnum::from_str(name, true).ok()
        };
        Settings {
            files: Files {
                config: aws_file("AWS_CONFIG_FILE", "config"),
                credentials: aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            },
            cache_dir: cache_base.join("awsenv"),
            margin: span("AWSENV_EXPIRY_MARGIN").map(|m| m.map_or(DEFAULT_MARGIN, i64::from)),
            timeout: span("AWSENV_TIMEOUT")
                .map(|t| t.map_or(DEFAULT_TIMEOUT, |t| u64::from(t.max(1)))),
            mfa_process_timeout: span("AWSENV_MFA_PROCESS_TIMEOUT")
                .map(|t| t.map_or(DEFAULT_MFA_PROCESS_TIMEOUT, |t| t.max(1))),
            session_duration: span("AWSENV_SESSION_DURATION"),
            role_duration: span("AWSENV_ROLE_DURATION"),
            sts_regional_endpoints: text("AWS_STS_REGIONAL_ENDPOINTS"),
            colors: if var("NO_COLOR").is_some() {
                false
            } else {
                match text("AWSENV_COLORS").as_deref() {
                    Some("0") => false,
                    Some(_) => true,
                    None => text("TERM").is_some_and(|t| t != "dumb"),
                }
            },
            renew: !text("AWSENV_RENEW").is_some_and(|v| {
                ["0", "false", "no", "off"]
                    .iter()
                    .any(|off| v.eq_ignore_ascii_case(off))
            }),
            signin_url: text("AWSENV_SIGNIN_URL"),
            shell: shell_named("AWSENV_SHELL")
                .or_else(|| shell_named("SHELL"))
                .unwrap_or(Shell::Bash),
            login_shell: text("SHELL"),
            zdotdir: var("ZDOTDIR").map(PathBuf::from),
            user: text("USER"),
            path: var("PATH"),
            proxies: Proxies {
                http: proxy_var(text, ["http_proxy", "HTTP_PROXY"]),
                https: proxy_var(text, ["https_proxy", "HTTPS_PROXY"]),
                all: proxy_var(text, ["all_proxy", "ALL_PROXY"]),
                no_proxy: text("no_proxy").or_else(|| text("NO_PROXY")),
            },
            ca_bundle: var("AWS_CA_BUNDLE").map(PathBuf::from),
            requests_ca_bundle: var("REQUESTS_CA_BUNDLE").map(PathBuf::from),
            home,
        }
    }

    /// The proxy for a request to `url` (None: AWS itself, over https): `HTTPS_PROXY` or
    /// `HTTP_PROXY` by the URL's scheme, else `ALL_PROXY`. A value that is not a proxy URL is
    /// an error naming the variable, never a direct connection.
    pub fn proxy_for(&self, url: Option<&str>) -> Result<Option<Proxy>> {
        let https = url.is_none_or(|u| !u.to_ascii_lowercase().starts_with("http://"));
        let var = if https {
            &self.proxies.https
        } else {
            &self.proxies.http
        };
        let Some(var) = var.as_ref().or(self.proxies.all.as_ref()) else {
            return Ok(None);
        };
        let mut proxy = parse_proxy(var.value.expose()).map_err(|wrong| {
            fail!(
                Config,
                "{} {wrong}: set it as http://host:port, or http://user:password@host:port",
                var.name
            )
        })?;
        proxy.variable = var.name;
        proxy.no_proxy = self.proxies.no_proxy.clone();
        Ok(Some(proxy))
    }

    /// The expiry margin, or an error naming the setting.
    pub fn margin(&self) -> Result<i64> {
        self.margin.clone().map_err(|e| fail!(Config, "{e}"))
    }

    /// The margin for the prompt hook, which never fails: the default if the setting is bad
    /// (the next command says what is wrong with it).
    pub fn margin_or_default(&self) -> i64 {
        self.margin.clone().unwrap_or(DEFAULT_MARGIN)
    }

    /// Seconds an `mfa_process` may take.
    pub fn mfa_process_timeout(&self) -> Result<u32> {
        self.mfa_process_timeout
            .clone()
            .map_err(|e| fail!(Config, "{e}"))
    }

    /// `AWSENV_SESSION_DURATION` (for GetSessionToken) or `AWSENV_ROLE_DURATION` (for
    /// AssumeRole), with the variable's name; an error names it too.
    pub fn default_duration(&self, role: bool) -> Result<Option<(u32, &'static str)>> {
        let (value, name) = if role {
            (&self.role_duration, "AWSENV_ROLE_DURATION")
        } else {
            (&self.session_duration, "AWSENV_SESSION_DURATION")
        };
        match value {
            Ok(d) => Ok(d.map(|d| (d, name))),
            Err(e) => Err(fail!(Config, "{e}")),
        }
    }

    /// Seconds to wait for AWS, every attempt of a call together.
    pub fn timeout(&self) -> Result<u64> {
        self.timeout.clone().map_err(|e| fail!(Config, "{e}"))
    }

    /// Whether `account`'s STS calls go to the global endpoint where they can (the variable,
    /// else the profile; regional by default, as the AWS CLI v2).
    pub fn sts_legacy(&self, account: &crate::profile::Account) -> Result<bool> {
        let Some(value) = &self.sts_regional_endpoints else {
            return Ok(account.sts_legacy.unwrap_or(false));
        };
        crate::profile::sts_legacy(value).map_err(|_| {
            fail!(
                Config,
                "AWS_STS_REGIONAL_ENDPOINTS={value} must be legacy or regional"
            )
        })
    }
}

fn proxy_var(text: impl Fn(&str) -> Option<String>, names: [&'static str; 2]) -> Option<ProxyVar> {
    names.into_iter().find_map(|name| {
        text(name).map(|value| ProxyVar {
            name,
            value: Secret::new(value.trim()),
        })
    })
}

/// A proxy URL as the AWS CLI takes it: `http://` or `https://`, or none (then http), user
/// and password optional, a path ignored. The error says what is wrong without quoting the
/// value, which may hold a password.
fn parse_proxy(value: &str) -> std::result::Result<Proxy, String> {
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_owned(), value.strip_prefix("//").unwrap_or(value)),
    };
    if scheme != "http" && scheme != "https" {
        let named = scheme.len() <= 10 && scheme.bytes().all(|b| b.is_ascii_alphanumeric());
        return Err(if named {
            format!(
                "is a {scheme}:// proxy; awsenv, like the AWS CLI, goes through http and https \
                 proxies only"
            )
        } else {
            "is not a proxy URL".into()
        });
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (credentials, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(Secret::new(userinfo)), host_port),
        None => (None, authority),
    };
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, port)) => (host, port.strip_prefix(':').unwrap_or(port)),
            None => return Err("has an IPv6 address without its closing ]".into()),
        },
        None => host_port.rsplit_once(':').unwrap_or((host_port, "")),
    };
    let host_char = |c: char| c.is_ascii_alphanumeric() || "-._:%".contains(c);
    if host.is_empty() || !host.chars().all(host_char) {
        return Err("names no host".into());
    }
    if !port.is_empty() && !port.parse::<u16>().is_ok_and(|p| p > 0) {
        return Err("has a port that is not a number from 1 to 65535".into());
    }
    Ok(Proxy {
        variable: "",
        shown: format!("{scheme}://{host_port}"),
        url: Secret::new(format!("{scheme}://{authority}")),
        credentials,
        no_proxy: None,
    })
}

/// The home of `uid` in /etc/passwd, read here rather than with getpwuid: awsenv links glibc
/// statically (build.rs), and a static glibc that loads an NSS module (systemd, sss, ldap) for
/// a user that /etc/passwd lacks crashes.
fn passwd_home(uid: u32) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let passwd = std::fs::read("/etc/passwd").ok()?;
    let uid = uid.to_string();
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let fields: Vec<&[u8]> = line.split(|&b| b == b':').collect();
        let dir = Path::new(std::ffi::OsStr::from_bytes(fields.get(5)?));
        (fields.len() == 7 && fields[2] == uid.as_bytes() && dir.is_absolute())
            .then(|| dir.to_path_buf())
    })
}

fn expand_tilde(path: &str, home: &Path) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Settings::from(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_follow_home() {
        let s = settings(&[("HOME", "/home/u"), ("TERM", "xterm")]);
        assert_eq!(s.files.config, Path::new("/home/u/.aws/config"));
        assert_eq!(s.cache_dir, Path::new("/home/u/.cache/awsenv"));
        assert_eq!(s.margin().unwrap(), DEFAULT_MARGIN);
        assert_eq!(s.timeout().unwrap(), DEFAULT_TIMEOUT);
        assert!(s.colors);
        assert_eq!(s.shell, Shell::Bash);
        assert_eq!(s.signin_url, None);
    }

    #[test]
    fn each_variable_lands_in_its_field() {
        let s = settings(&[
            ("HOME", "/home/u"),
            ("AWS_CONFIG_FILE", "~/cfg"),
            ("XDG_CACHE_HOME", "relative/ignored"),
            ("AWSENV_EXPIRY_MARGIN", "10m"),
            ("AWSENV_TIMEOUT", "0"),
            ("AWS_STS_REGIONAL_ENDPOINTS", "Legacy"),
            ("AWS_CA_BUNDLE", "/etc/corp-ca.pem"),
            ("NO_COLOR", "1"),
            ("AWSENV_COLORS", "1"),
            ("SHELL", "/usr/bin/fish"),
        ]);
        assert_eq!(s.files.config, Path::new("/home/u/cfg"));
        assert_eq!(s.cache_dir, Path::new("/home/u/.cache/awsenv"));
        assert_eq!(s.margin().unwrap(), 600);
        assert_eq!(s.timeout().unwrap(), 1, "at least a second");
        assert_eq!(s.sts_regional_endpoints.as_deref(), Some("Legacy"));
        assert_eq!(s.ca_bundle.as_deref(), Some(Path::new("/etc/corp-ca.pem")));
        assert!(!s.colors, "NO_COLOR wins");
        assert_eq!(s.shell, Shell::Fish);
    }

    #[test]
    fn a_bad_margin_is_an_error_for_commands_and_the_default_for_the_hook() {
        let s = settings(&[("HOME", "/h"), ("AWSENV_EXPIRY_MARGIN", "soon")]);
        assert!(
            s.margin()
                .unwrap_err()
                .to_string()
                .contains("AWSENV_EXPIRY_MARGIN")
        );
        assert_eq!(s.margin_or_default(), DEFAULT_MARGIN);
    }

    #[test]
    fn the_proxy_goes_by_the_endpoints_scheme_and_the_lower_case_wins() {
        let s = settings(&[
            ("HOME", "/h"),
            ("HTTPS_PROXY", "http://upper:3128"),
            ("https_proxy", "http://lower:3128"),
            ("HTTP_PROXY", "plain:8080"),
            ("ALL_PROXY", "http://all:1"),
            ("no_proxy", "localhost,.corp"),
        ]);
        let aws = s.proxy_for(None).unwrap().unwrap();
        assert_eq!(
            (aws.variable, aws.shown.as_str()),
            ("https_proxy", "http://lower:3128")
        );
        assert_eq!(aws.no_proxy.as_deref(), Some("localhost,.corp"));
        let http = s.proxy_for(Some("HTTP://127.0.0.1:5000")).unwrap().unwrap();
        assert_eq!(
            (http.variable, http.shown.as_str()),
            ("HTTP_PROXY", "http://plain:8080")
        );
        assert_eq!(http.url.expose(), "http://plain:8080");
        let s = settings(&[("HOME", "/h"), ("ALL_PROXY", "https://all:1/")]);
        let all = s
            .proxy_for(Some("https://sts.amazonaws.com"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (all.variable, all.url.expose()),
            ("ALL_PROXY", "https://all:1")
        );
        assert_eq!(settings(&[("HOME", "/h")]).proxy_for(None).unwrap(), None);
    }

    #[test]
    fn a_proxy_url_keeps_its_credentials_out_of_what_is_shown() {
        let p = parse_proxy("http://us%40er:p%3Ass@proxy.corp:3128/ignored").unwrap();
        assert_eq!(p.shown, "http://proxy.corp:3128");
        assert_eq!(p.url.expose(), "http://us%40er:p%3Ass@proxy.corp:3128");
        assert_eq!(p.credentials.unwrap().expose(), "us%40er:p%3Ass");
        assert_eq!(parse_proxy("//proxy").unwrap().url.expose(), "http://proxy");
        assert_eq!(
            parse_proxy("[::1]:3128").unwrap().shown,
            "http://[::1]:3128"
        );
        for (bad, says) in [
            ("socks5://proxy:1080", "socks5:// proxy"),
            ("http://user:pa ss@", "names no host"),
            ("http://proxy:0", "port"),
            ("http://proxy:99999", "port"),
            ("http://[::1:3128", "closing ]"),
            ("http://pro xy:1", "names no host"),
        ] {
            let wrong = parse_proxy(bad).unwrap_err();
            assert!(wrong.contains(says), "{bad}: {wrong}");
            assert!(!wrong.contains("pa ss"), "{wrong}");
        }
        let s = settings(&[("HOME", "/h"), ("HTTPS_PROXY", "http://u:secret@")]);
        let e = s.proxy_for(None).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Config);
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
