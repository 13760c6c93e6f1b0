//! The session cache: one file per account under `$XDG_CACHE_HOME/awsenv`, so that a session
//! made in one terminal serves every terminal. The directory is 0700 and files are 0600, both
//! created with that mode. Writers hold an exclusive lock on the account's lock file and
//! replace the file by rename; readers never lock, never block and never see a torn file.
//! Anything that cannot be trusted (foreign owner, loose mode, corrupt, other version) is
//! treated as absent, with the reason, so the caller can say it once.

use crate::error::{Result, fail};
use crate::session::{self, Session};
use nix::libc::{O_NOFOLLOW, O_NONBLOCK};
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

/// Cache files are small; anything larger is not one of ours.
const MAX_FILE: u64 = 64 * 1024;

pub struct Cache {
    dir: PathBuf,
}

pub enum Lookup {
    Found(Session),
    Missing,
    /// There is a file, but it cannot be used; the string says why.
    Ignored(String),
}

/// Held while an account's session is being refreshed; released when dropped.
pub struct Lock {
    _file: File,
}

impl Cache {
    pub fn from_env() -> Cache {
        // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
        let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
            Some(p) if p.is_absolute() => p,
            _ => crate::profile::home().join(".cache"),
        };
        Cache {
            dir: base.join("awsenv"),
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The cache directory, created private if need be, for other private files of awsenv.
    pub fn private_dir(&self) -> Result<PathBuf> {
        self.ensure_dir()?;
        Ok(self.dir.clone())
    }

    pub fn file(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{}.json", encode(account)))
    }

    pub fn read(&self, account: &str) -> Lookup {
        let path = self.file(account);
        // O_NONBLOCK: a FIFO planted where a session file should be must not hang the hook.
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(O_NOFOLLOW | O_NONBLOCK)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => return Lookup::Ignored(format!("cannot open it ({e})")),
        };
        if let Err(reason) = file.metadata().map_err(|e| e.to_string()).and_then(|m| {
            if !m.is_file() {
                Err("it is not a regular file".into())
            } else if m.uid() != nix::unistd::geteuid().as_raw() {
                Err("it belongs to another user".into())
            } else if m.mode() & 0o077 != 0 {
                Err(format!("others may read it (mode {:o})", m.mode() & 0o777))
            } else if m.len() > MAX_FILE {
                Err("it is too large to be a session".into())
            } else {
                Ok(())
            }
        }) {
            return Lookup::Ignored(reason);
        }
        let mut text = String::new();
        if let Err(e) = file.read_to_string(&mut text) {
            return Lookup::Ignored(format!("cannot read it ({e})"));
        }
        parse(&text, account)
    }

    /// Takes the account's writer lock. If another process holds it (most likely waiting for
    /// an MFA code), say so and wait: its session will then serve this process too.
    pub fn lock(&self, account: &str) -> Result<Lock> {
        self.ensure_dir()?;
        let path = self.dir.join(format!("{}.lock", encode(account)));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(&path)
            .map_err(|e| fail!(Cache, "cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                eprintln!(
                    "awsenv: {account}: waiting for another awsenv that is refreshing this \
                     session (it may be asking for an MFA code)"
                );
                file.lock()
                    .map_err(|e| fail!(Cache, "cannot lock {}: {e}", path.display()))?;
            }
            Err(TryLockError::Error(e)) => {
                return Err(fail!(Cache, "cannot lock {}: {e}", path.display()));
            }
        }
        crate::debug!("locked {}", path.display());
        Ok(Lock { _file: file })
    }

    /// Replaces the account's session. The lock proves the caller is the only writer.
    pub fn write(&self, _lock: &Lock, session: &Session) -> Result<()> {
        let path = self.file(&session.account);
        let tmp = self.dir.join(format!(
            ".{}.{}.tmp",
            encode(&session.account),
            std::process::id()
        ));
        let _ = fs::remove_file(&tmp);
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(O_NOFOLLOW)
                .open(&tmp)?;
            file.write_all(&serde_json::to_vec_pretty(session)?)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            // The rename is durable only once the directory is; a directory that cannot be
            // synced must not turn a written session into an error.
            let _ = File::open(&self.dir).and_then(|d| d.sync_all());
            Ok(())
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            fail!(Cache, "cannot write {}: {e}", path.display())
        })?;
        crate::debug!("wrote {}", path.display());
        Ok(())
    }

    /// Deletes an account's session; false when there was none.
    pub fn remove(&self, account: &str) -> Result<bool> {
        let path = self.file(account);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(fail!(Cache, "cannot remove {}: {e}", path.display())),
        }
    }

    /// The accounts that have a session file, valid or not.
    pub fn accounts(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| decode(f.strip_suffix(".json")?))
            .collect();
        names.sort();
        names
    }

    /// Creates the directory private, or checks that an existing one is.
    fn ensure_dir(&self) -> Result<()> {
        let dir = self.dir.display();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| fail!(Cache, "cannot create {dir}: {e}"))?;
        let meta =
            fs::symlink_metadata(&self.dir).map_err(|e| fail!(Cache, "cannot read {dir}: {e}"))?;
        if !meta.is_dir() || meta.uid() != nix::unistd::geteuid().as_raw() {
            return Err(fail!(
                Cache,
                "{dir} is not a directory of yours: remove it, awsenv will create it"
            ));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(fail!(
                Cache,
                "{dir} is open to other users (mode {:o}): run chmod 700 {dir}",
                meta.mode() & 0o777
            ));
        }
        Ok(())
    }
}

fn parse(text: &str, account: &str) -> Lookup {
    #[derive(serde::Deserialize)]
    struct Version {
        version: u32,
    }
    match serde_json::from_str::<Version>(text) {
        Ok(v) if v.version == session::VERSION => {}
        Ok(v) => {
            return Lookup::Ignored(format!(
                "it was written by another awsenv version (format {})",
                v.version
            ));
        }
        Err(_) => return Lookup::Ignored("it is not a valid session file".into()),
    }
    match serde_json::from_str::<Session>(text) {
        Ok(s) if s.account == account => Lookup::Found(s),
        Ok(_) => Lookup::Ignored("it holds another account's session".into()),
        Err(_) => Lookup::Ignored("it is not a valid session file".into()),
    }
}

/// Account names are untrusted and may hold any character; file names keep `[a-z0-9_.-]`
/// (no leading dot) and percent-encode the rest, so every name maps to one safe file, also
/// where the file system ignores case (`Prod` and `prod` are two accounts).
fn encode(account: &str) -> String {
    let mut out = String::with_capacity(account.len());
    for (i, b) in account.bytes().enumerate() {
        let plain = b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
        if plain || (b == b'.' && i > 0) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(stem: &str) -> Option<String> {
    let bytes = stem.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_to_safe_files_and_back() {
        for name in [
            "personal",
            "work-admin.v2",
            ".hidden",
            "../etc/passwd",
            "Prod",
            "a b/c%",
            "ü",
        ] {
            let enc = encode(name);
            assert!(!enc.starts_with('.'), "{enc}");
            assert!(
                enc.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b"-_.%ABCDEF".contains(&b)),
                "{enc}"
            );
            assert_eq!(decode(&enc).as_deref(), Some(name));
        }
        assert_eq!(encode("personal"), "personal");
        assert_ne!(encode("Prod").to_lowercase(), encode("prod"));
    }

    #[test]
    fn parse_rejects_what_it_cannot_trust() {
        let reason = |text: &str| match parse(text, "personal") {
            Lookup::Ignored(r) => r,
            _ => panic!("{text} should be ignored"),
        };
        assert!(reason("{").contains("not a valid"));
        assert!(reason(r#"{"version": 99}"#).contains("format 99"));
        assert!(reason(r#"{"version": 1, "account": "personal"}"#).contains("not a valid"));
    }
}
