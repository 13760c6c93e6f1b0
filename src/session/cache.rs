//! The session cache: one file per account under `$XDG_CACHE_HOME/awsenv`, so that a session
//! made in one terminal serves every terminal. The directory is 0700 and files are 0600, both
//! created with that mode. Writers hold an exclusive lock on the account's lock file and
//! replace the file by rename; readers never lock, never block and never see a torn file.
//! Anything that cannot be trusted (foreign owner, loose mode, corrupt, other version) is
//! treated as absent, with the reason, so the caller can say it once.
//!
//! A new session costs an MFA code, so the file that will hold it is made (with room for it)
//! before the code is asked for: a cache that cannot take a session says so while nothing is
//! spent yet. A temporary file left by a writer that died holds a whole session; the next
//! writer of that account, and `logout`, delete it.
//!
//! The lock is std's `File::lock` (Rust 1.89): flock(2) on Unix and LockFileEx on Windows,
//! which is what the fs4 crate of the design wraps. It is the same lock with no crate, and the
//! prompt hook takes none.

use crate::error::{Result, fail};
use crate::session::{self, Session};
use crate::settings::Settings;
use nix::libc::{O_NOFOLLOW, O_NONBLOCK};
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cache files are small; anything larger is not one of ours.
const MAX_FILE: u64 = 64 * 1024;
/// What a new session file is given before the MFA code is asked for: more than any session
/// STS hands out needs, so that writing the real one cannot run out of room.
const RESERVED: usize = 16 * 1024;
/// The renewal note beside a session (see `session::renewal`); `remove` deletes it too.
pub const RENEWAL_NOTE: &str = "renewal";
/// How often `lock_within` looks whether the lock is free.
const LOCK_POLL: Duration = Duration::from_millis(50);
/// File names stay well under the 255 bytes file systems allow, temporary suffix included.
const MAX_STEM: usize = 100;

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
    account: String,
}

/// The file a new session will be written to, made before the session exists; deleted if
/// the session never comes (a wrong code, ctrl-C).
pub struct Pending<'a> {
    cache: &'a Cache,
    account: &'a str,
    tmp: PathBuf,
    file: File,
}

impl Cache {
    pub fn new(settings: &Settings) -> Cache {
        Cache {
            dir: settings.cache_dir.clone(),
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
        self.dir.join(format!("{}.json", stem(account)))
    }

    pub fn read(&self, account: &str) -> Lookup {
        match read_trusted(&self.file(account)) {
            Ok(Some(text)) => parse(&text, account),
            Ok(None) => Lookup::Missing,
            Err(reason) => Lookup::Ignored(reason),
        }
    }

    /// Takes the account's writer lock. If another process holds it (most likely waiting for
    /// an MFA code), say so and wait: its session will then serve this process too.
    pub fn lock(&self, account: &str) -> Result<Lock> {
        let file = self.lock_file(account)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                crate::ui::say(&format!(
                    "{account}: waiting for another awsenv that is refreshing this session \
                     (it may be asking for an MFA code)"
                ));
                file.lock().map_err(|e| self.lock_error(account, e))?;
            }
            Err(TryLockError::Error(e)) => return Err(self.lock_error(account, e)),
        }
        Ok(self.locked(account, file))
    }

    /// `lock` for a process no person waits on: it waits at most `patience`, silently, and
    /// then gives up with a `Busy` error. Nobody is asked for anything meanwhile, and a
    /// terminal sitting at an MFA prompt for this account cannot hold it up for longer.
    pub fn lock_within(&self, account: &str, patience: Duration) -> Result<Lock> {
        let file = self.lock_file(account)?;
        let deadline = Instant::now() + patience;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(self.locked(account, file)),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(fail!(
                        Busy,
                        "{account}: another awsenv is making this session (it may be asking \
                         for an MFA code)"
                    ));
                }
                Err(TryLockError::Error(e)) => return Err(self.lock_error(account, e)),
            }
        }
    }

    fn lock_path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{}.lock", stem(account)))
    }

    fn lock_file(&self, account: &str) -> Result<File> {
        self.ensure_dir()?;
        let path = self.lock_path(account);
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(&path)
            .map_err(|e| fail!(Cache, "cannot open {}: {e}", path.display()))
    }

    fn lock_error(&self, account: &str, e: std::io::Error) -> crate::error::Error {
        fail!(
            Cache,
            "cannot lock {}: {e}",
            self.lock_path(account).display()
        )
    }

    fn locked(&self, account: &str, file: File) -> Lock {
        crate::debug!("locked {}", self.lock_path(account).display());
        Lock {
            _file: file,
            account: account.to_owned(),
        }
    }

    /// Makes the file the locked account's next session will go to, with room for it, and
    /// checks that it can replace what is there now. Called before an MFA code is asked for
    /// or AWS is called, so a cache that cannot keep a session costs nothing.
    pub fn prepare<'a>(&'a self, lock: &'a Lock) -> Result<Pending<'a>> {
        let account = lock.account.as_str();
        let path = self.file(account);
        // Under the lock no other writer of this account is at work: its temporaries are
        // leftovers of one that died, and may hold a whole session.
        self.clean_temporaries(Some(account));
        let unusable = |what: String| {
            fail!(
                Cache,
                "{account}: {} {what}: run awsenv logout {account}, then try again (nothing was \
                 asked of AWS)",
                path.display()
            )
        };
        match fs::symlink_metadata(&path) {
            // A rename replaces anything but a directory (a FIFO, a symlink) atomically.
            Ok(m) if m.is_dir() => return Err(unusable("is a directory".into())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(unusable(format!("cannot be read ({e})"))),
        }
        let tmp = self
            .dir
            .join(format!(".{}.{}.tmp", stem(account), std::process::id()));
        let _ = fs::remove_file(&tmp);
        let no_room = |e: std::io::Error| {
            fail!(
                Cache,
                "{account}: cannot write a session into {} ({e}): free some space or fix the \
                 directory, then try again (nothing was asked of AWS)",
                self.dir.display()
            )
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(&tmp)
            .map_err(no_room)?;
        let pending = Pending {
            cache: self,
            account,
            tmp,
            file: file.try_clone().map_err(no_room)?,
        };
        // Blocks taken now are there for the session later (a full disk says so here).
        file.write_all(&[b' '; RESERVED])
            .and_then(|()| file.sync_data())
            .map_err(no_room)?;
        Ok(pending)
    }

    /// A small file of awsenv's own beside the account's session (`ACCOUNT.EXT`), if it is one
    /// awsenv may trust.
    pub fn read_beside(&self, account: &str, ext: &str) -> Option<String> {
        read_trusted(&self.beside(account, ext)).ok().flatten()
    }

    /// Writes a small file beside the account's session, private and atomically.
    pub fn write_beside(&self, account: &str, ext: &str, text: &str) -> Result<()> {
        self.ensure_dir()?;
        let path = self.beside(account, ext);
        // A name `clean_temporaries` knows: `.STEM.EXT.PID.tmp`.
        let tmp = self.dir.join(format!(
            ".{}.{ext}.{}.tmp",
            stem(account),
            std::process::id()
        ));
        let written = (|| -> std::io::Result<()> {
            let _ = fs::remove_file(&tmp);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(O_NOFOLLOW)
                .open(&tmp)?;
            file.write_all(text.as_bytes())?;
            fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written.map_err(|e| fail!(Cache, "cannot write {}: {e}", path.display()))
    }

    pub fn remove_beside(&self, account: &str, ext: &str) {
        let _ = fs::remove_file(self.beside(account, ext));
    }

    fn beside(&self, account: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", stem(account)))
    }

    /// Whether the account's session file was replaced after `at` (Unix seconds).
    pub fn written_after(&self, account: &str, at: i64) -> bool {
        fs::symlink_metadata(self.file(account)).is_ok_and(|m| m.mtime() > at)
    }

    /// Deletes an account's session, whatever sits at its path (a directory or a FIFO put
    /// there by mistake too); false when there was nothing.
    pub fn remove(&self, account: &str) -> Result<bool> {
        self.clean_temporaries(None);
        self.remove_beside(account, RENEWAL_NOTE);
        let path = self.file(account);
        let removed = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
            Ok(_) => fs::remove_file(&path),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(fail!(Cache, "cannot remove {}: {e}", path.display())),
        }
    }

    /// Deletes temporary files whose writer is gone: any of `locked`'s (its lock is held, so
    /// no writer of it is at work), and those of processes that no longer exist.
    fn clean_temporaries(&self, locked: Option<&str>) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let locked = locked.map(stem);
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((owner, pid)) = name
                .to_str()
                .and_then(|n| n.strip_prefix('.')?.strip_suffix(".tmp")?.rsplit_once('.'))
            else {
                continue;
            };
            let gone = || {
                pid.parse().is_ok_and(|pid| {
                    let pid = nix::unistd::Pid::from_raw(pid);
                    nix::sys::signal::kill(pid, None) == Err(nix::errno::Errno::ESRCH)
                })
            };
            if locked.as_deref() == Some(owner) || gone() {
                crate::debug!("removing {}, left by a writer that died", name.display());
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// The accounts whose cached session was made from the access key `key`: the user's
    /// own, and those of roles assumed from it (their origin ends with the key).
    pub fn made_from(&self, key: &str) -> Vec<String> {
        let origin = format!("key:{key}");
        self.accounts()
            .into_iter()
            .filter(|account| {
                matches!(self.read(account), Lookup::Found(s) if s.origin.ends_with(&origin))
            })
            .collect()
    }

    /// Drops the sessions `made_from(key)`; how many. Best effort: a session left behind is
    /// not used anyway, being made from another key than the profile's.
    pub fn drop_made_from(&self, key: &str) -> usize {
        let mut dropped = 0;
        for account in self.made_from(key) {
            match self.remove(&account) {
                Ok(true) => dropped += 1,
                Ok(false) => {}
                Err(e) => crate::ui::say(&e.to_string()),
            }
        }
        dropped
    }

    /// The accounts that have a session file, valid or not.
    pub fn accounts(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| {
                let stem = f.strip_suffix(".json")?;
                decode(stem).or_else(|| self.account_in(stem))
            })
            .collect();
        names.sort();
        names
    }

    /// The account a file with a shortened name belongs to, as the file itself says.
    fn account_in(&self, stem_of_file: &str) -> Option<String> {
        let text = read_trusted(&self.dir.join(format!("{stem_of_file}.json"))).ok()??;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        let account = value.get("account")?.as_str()?;
        (stem(account) == stem_of_file).then(|| account.to_owned())
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

impl Pending<'_> {
    /// Writes the session and puts it in place, atomically.
    pub fn commit(mut self, session: &Session) -> Result<()> {
        let path = self.cache.file(self.account);
        let json = serde_json::to_vec_pretty(session)
            .map_err(|e| fail!(Failure, "cannot encode the session: {e}"))?;
        let written = (|| -> std::io::Result<()> {
            // Over the reserved blocks, then cut to size: no new room is needed.
            self.file.rewind()?;
            self.file.write_all(&json)?;
            self.file.set_len(json.len() as u64)?;
            self.file.sync_all()?;
            fs::rename(&self.tmp, &path)?;
            // The rename is durable only once the directory is; a directory that cannot be
            // synced must not turn a written session into an error.
            let _ = File::open(&self.cache.dir).and_then(|d| d.sync_all());
            Ok(())
        })();
        written.map_err(|e| fail!(Cache, "cannot write {}: {e}", path.display()))?;
        crate::debug!("wrote {}", path.display());
        // Whatever a note said of renewing the last session is past.
        self.cache.remove_beside(self.account, RENEWAL_NOTE);
        Ok(())
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        // Gone already once committed; otherwise it holds no session, only reserved room.
        let _ = fs::remove_file(&self.tmp);
    }
}

/// A cache file's text, if it is one awsenv may trust: a regular file of this user's, private
/// and small. `Ok(None)` when there is none.
fn read_trusted(path: &Path) -> std::result::Result<Option<String>, String> {
    // O_NONBLOCK: a FIFO planted where a session file should be must not hang the hook.
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(O_NOFOLLOW | O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it ({e})")),
    };
    let m = file.metadata().map_err(|e| e.to_string())?;
    if !m.is_file() {
        return Err("it is not a regular file".into());
    } else if m.uid() != nix::unistd::geteuid().as_raw() {
        return Err("it belongs to another user".into());
    } else if m.mode() & 0o077 != 0 {
        return Err(format!("others may read it (mode {:o})", m.mode() & 0o777));
    } else if m.len() > MAX_FILE {
        return Err("it is too large to be a session".into());
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| format!("cannot read it ({e})"))?;
    Ok(Some(text))
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
        // Keys and tokens travel in HTTP headers and shell code: a character no AWS credential
        // has means the file was damaged or planted.
        Ok(s) if !s.credentials().look_valid() => {
            Lookup::Ignored("its credentials hold characters no AWS credential has".into())
        }
        Ok(s) if s.account == account => Lookup::Found(s),
        Ok(_) => Lookup::Ignored("it holds another account's session".into()),
        Err(_) => Lookup::Ignored("it is not a valid session file".into()),
    }
}

/// The file name (without extension) of an account's files: its encoded name, or for a long
/// name a prefix of it and a hash of the whole (`~` never appears in an encoded name). Two
/// names that share a file are told apart by the name inside it.
fn stem(account: &str) -> String {
    let encoded = encode(account);
    if encoded.len() <= MAX_STEM {
        return encoded;
    }
    let mut cut = MAX_STEM - 17;
    // Not inside a %XX escape.
    if let Some(at) = encoded[cut - 2..cut].find('%') {
        cut = cut - 2 + at;
    }
    format!("{}~{:016x}", &encoded[..cut], fnv1a(account.as_bytes()))
}

/// FNV-1a, 64 bits: stable across Rust releases (std's hasher is not), which file names need.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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

/// The account a file stem stands for; None for a shortened one (see `stem`).
fn decode(stem: &str) -> Option<String> {
    if stem.contains('~') {
        return None;
    }
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
    fn long_names_get_short_distinct_file_names() {
        let long = "é".repeat(300);
        let (a, b) = (stem(&long), stem(&format!("{long}x")));
        assert!(a.len() <= MAX_STEM && b.len() <= MAX_STEM, "{a}");
        assert_ne!(a, b);
        assert!(a.contains('~') && decode(&a).is_none());
        // The cut never splits an escape.
        let prefix = a.split('~').next().unwrap();
        assert!(!prefix[prefix.len() - 2..].contains('%'), "{prefix}");
        assert_eq!(stem("personal"), "personal");
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
