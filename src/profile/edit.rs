//! Edits keys of one profile in an AWS shared file (`mfa_serial` in ~/.aws/config, keys in
//! ~/.aws/credentials), the way a careful person would: only those keys' lines change. Every other byte stays as it was:
//! comments, order, blank lines, unknown keys, line endings. The new file replaces the old by
//! rename, with the old file's mode, and a symlinked file is edited where it points.
//!
//! A profile name or value that could end its line is refused, whoever the caller: written
//! as it is, `x\n[default]\ncredential_process = ...` would add a section that the AWS CLI
//! then runs.

use crate::error::{Result, fail};
pub use crate::profile::FileKind;
use crate::profile::ini::{self, Name};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Sets (`Some`) or removes (`None`) `key` in the profile `name` of the config file at `path`.
/// A missing profile section is appended; a missing file is created (mode 0600).
pub fn set_in_file(path: &Path, name: &str, key: &str, value: Option<&str>) -> Result<()> {
    edit_file(path, FileKind::Config, name, &[(key, value)])
}

/// Applies every edit to profile `name` and writes the file once, so no reader ever sees a
/// profile half-edited (a key id without its secret).
pub fn edit_file(
    path: &Path,
    kind: FileKind,
    name: &str,
    edits: &[(&str, Option<&str>)],
) -> Result<()> {
    let display = path.display();
    // A symlinked config (dotfiles) is edited where it points, not replaced by a plain file.
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let (text, mode) = match fs::read(&target) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| fail!(Config, "{display} is not UTF-8 text; edit it by hand"))?;
            let mode = fs::metadata(&target).map_or(0o600, |m| m.permissions().mode() & 0o7777);
            (text, mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(fail!(Config, "cannot read {display}: {e}")),
    };
    let edited = edits.iter().try_fold(text.clone(), |text, (key, value)| {
        edit(&text, kind, name, key, *value)
    })?;
    if edited == text {
        return Ok(());
    }
    replace(&target, edited.as_bytes(), mode)
        .map_err(|e| fail!(Config, "cannot write {display}: {e}"))
}

fn replace(target: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.awsenv-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        // The umask must not change the mode the user gave the file.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, target)?;
        // The file is replaced: a directory that cannot be synced (some network file
        // systems) must not make the caller believe the old content is still there.
        let _ = File::open(dir).and_then(|d| d.sync_all());
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// What ends a line for some reader of the shared files (botocore reads `\r` alone as one),
/// or shows as something else on a terminal: every control character, and the Unicode line
/// and paragraph separators.
fn breaks_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Refuses a profile name that the config file cannot hold, before anything is asked or
/// stored for it.
pub fn writable(name: &str) -> Result<()> {
    check(FileKind::Config, name, "region", None)
}

/// Refuses what would not stay inside its own line and section. The message names the
/// profile and the key, never the value: it may be a secret.
fn check(kind: FileKind, name: &str, key: &str, value: Option<&str>) -> Result<()> {
    let shown = crate::ui::printable(name);
    // A name must also read back as itself from its header: ` x` or `"x"` would be another
    // profile's section to the next reader, and the next edit would add a second one.
    let reads_back = || {
        let header = section(kind, name);
        super::header(&header)
            .and_then(|h| names(kind, h))
            .as_deref()
            == Some(name)
    };
    if name.is_empty()
        || name
            .chars()
            .any(|c| breaks_line(c) || matches!(c, '[' | ']'))
        || !reads_back()
    {
        return Err(fail!(
            Config,
            "the profile name \"{shown}\" cannot be written as a section header (it holds a \
             line break, a control character, a bracket, or surrounding spaces or quotes); \
             rename the profile"
        ));
    }
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(fail!(
            Config,
            "\"{}\" is not a key of an AWS shared file (profile {shown}); this is a bug",
            crate::ui::printable(key)
        ));
    }
    if value.is_some_and(|v| v.chars().any(breaks_line)) {
        return Err(fail!(
            Config,
            "the value for {key} in profile {shown} holds a line break or a control character, \
             which one line of an AWS shared file cannot carry; nothing was written"
        ));
    }
    Ok(())
}

/// The profile a section header (`profile x` inside the brackets) stands for, as the reader
/// names it.
fn names(kind: FileKind, header: &str) -> Option<String> {
    match ini::name(kind, header) {
        Name::Profile(name) | Name::Unusual(name) => Some(name),
        Name::Other => None,
    }
}

/// The header line of profile `name`, without its line ending.
/// The header of profile `name` in a file of that kind: `[profile x]`, `[default]`, `[x]`.
pub fn section(kind: FileKind, name: &str) -> String {
    match kind {
        FileKind::Config if name != "default" => format!("[profile {name}]"),
        _ => format!("[{name}]"),
    }
}

/// The text with `key` set or removed in profile `name`.
fn edit(text: &str, kind: FileKind, name: &str, key: &str, value: Option<&str>) -> Result<String> {
    check(kind, name, key, value)?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines
        .iter()
        .position(|l| super::header(l).and_then(|h| names(kind, h)).as_deref() == Some(name))
    else {
        return Ok(match value {
            Some(value) => with_section(text, &section(kind, name), key, value, newline),
            None => text.to_owned(),
        });
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| super::header(l).is_some())
        .map_or(lines.len(), |i| start + 1 + i);
    let matches: Vec<usize> = (start + 1..end)
        .filter(|&i| is_key(lines[i], key))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match (value, matches.last()) {
        // The occurrence that counts is the last.
        (Some(value), Some(&at)) => out[at] = with_value(lines[at], value),
        // After the section's last setting, so its trailing blank lines and comments stay
        // where they are.
        (Some(value), None) => {
            let last = (start + 1..end)
                .rev()
                .find(|&i| {
                    let t = lines[i].trim();
                    !t.is_empty() && !t.starts_with(['#', ';'])
                })
                .unwrap_or(start);
            if !out[last].ends_with('\n') {
                out[last].push_str(newline);
            }
            out.insert(last + 1, format!("{key} = {value}{newline}"));
        }
        (None, _) => {
            for &at in matches.iter().rev() {
                out.remove(at);
            }
        }
    }
    Ok(out.concat())
}

/// The text with a new section holding `key = value` at its end, a blank line before it.
fn with_section(text: &str, header: &str, key: &str, value: &str, newline: &str) -> String {
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(newline);
    }
    if !out.is_empty() {
        out.push_str(newline);
    }
    out.push_str(&format!("{header}{newline}{key} = {value}{newline}"));
    out
}

/// A `key = value` line of a section (not a comment, not a nested continuation line).
fn is_key(line: &str, key: &str) -> bool {
    let trimmed = line.trim_start();
    !line.starts_with([' ', '\t'])
        && !trimmed.starts_with(['#', ';'])
        && trimmed
            .find(['=', ':'])
            .is_some_and(|at| trimmed[..at].trim().eq_ignore_ascii_case(key))
}

/// The key line with a new value, keeping `key = ` as written and the line's own ending.
fn with_value(line: &str, value: &str) -> String {
    let body = line.trim_end_matches(['\r', '\n']);
    let ending = &line[body.len()..];
    let sep = body.find(['=', ':']).expect("a key line has a separator");
    let after = &body[sep + 1..];
    let spaces = after.len() - after.trim_start().len();
    format!("{}{value}{ending}", &body[..sep + 1 + spaces])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case under tests/golden/config_edit/ is NAME.before, NAME.edit holding
    /// `profile|key|value` (no `|value`: remove; everything up to the file's last newline, so
    /// a name or value may hold line breaks), and NAME.after, or NAME.error when the edit
    /// must be refused with that message.
    #[test]
    fn edits_match_the_golden_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/config_edit");
        let (mut cases, mut refusals) = (0, 0);
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "edit") {
                continue;
            }
            cases += 1;
            let spec = fs::read_to_string(&path).unwrap();
            let spec = spec.strip_suffix('\n').unwrap_or(&spec);
            let mut words = spec.splitn(3, '|');
            let (name, key, value) = (words.next().unwrap(), words.next().unwrap(), words.next());
            let before = fs::read_to_string(path.with_extension("before")).unwrap();
            let edited = edit(&before, FileKind::Config, name, key, value);
            match fs::read_to_string(path.with_extension("error")) {
                Ok(error) => {
                    refusals += 1;
                    let error = error.trim_end_matches('\n');
                    match edited {
                        Err(e) => assert_eq!(e.to_string(), error, "{}", path.display()),
                        Ok(text) => panic!("{} was not refused:\n{text}", path.display()),
                    }
                }
                Err(_) => {
                    let after = fs::read_to_string(path.with_extension("after")).unwrap();
                    assert_eq!(edited.unwrap(), after, "{}", path.display());
                }
            }
        }
        assert!(cases >= 14, "golden cases found: {cases}");
        assert!(refusals >= 5, "golden refusals found: {refusals}");
    }

    #[test]
    fn no_caller_can_add_a_section() {
        let text = "[a]\nk = 1\n";
        for (name, value) in [
            ("a", "1\n[default]\ncredential_process = touch pwned"),
            ("a", "1\r[default]"),
            ("a", "1\u{2028}x"),
            ("a", "tab\there"),
            ("a]\n[default", "1"),
            ("[default", "1"),
            ("a]", "1"),
            (" a", "1"),
            ("", "1"),
        ] {
            for kind in [FileKind::Config, FileKind::Credentials] {
                let e = edit(text, kind, name, "k", Some(value)).unwrap_err();
                assert_eq!(
                    e.kind,
                    crate::error::ErrorKind::Config,
                    "{name:?} {value:?}"
                );
                assert!(!e.to_string().contains(value) || value == "1", "{e}");
            }
        }
        assert!(edit(text, FileKind::Credentials, "a", "k = x\n[b]", Some("1")).is_err());
        // Removing is checked too: a name that cannot be a header names no section.
        assert!(edit(text, FileKind::Credentials, "a\n[b", "k", None).is_err());
    }

    #[test]
    fn a_refused_edit_leaves_the_file_alone() {
        let dir = std::env::temp_dir().join(format!("awsenv-refuse-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        fs::write(&path, "[a]\nk = 1\n").unwrap();
        let e = edit_file(
            &path,
            FileKind::Credentials,
            "b",
            &[
                ("aws_access_key_id", Some("AKIAEXAMPLE")),
                (
                    "aws_secret_access_key",
                    Some("s\n[default]\ncredential_process = x"),
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(e.kind.exit_code(), 3);
        assert!(e.to_string().contains("aws_secret_access_key"), "{e}");
        assert!(!e.to_string().contains("credential_process"), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "[a]\nk = 1\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_sections_are_plain_names() {
        let text = "[profile x]\nk = 1\n[x]\nregion = a\n";
        assert_eq!(
            edit(text, FileKind::Credentials, "x", "k", Some("2")).unwrap(),
            "[profile x]\nk = 1\n[x]\nregion = a\nk = 2\n"
        );
        assert_eq!(
            edit("", FileKind::Credentials, "default", "k", Some("v")).unwrap(),
            "[default]\nk = v\n"
        );
    }

    #[test]
    fn a_file_edit_keeps_mode_and_symlink() {
        let dir = std::env::temp_dir().join(format!("awsenv-edit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let real = dir.join("real-config");
        fs::write(&real, "[profile a]\nregion = x\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("config");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        set_in_file(&link, "a", "mfa_serial", Some("arn:aws:iam::1:mfa/a")).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(&real).unwrap(),
            "[profile a]\nregion = x\nmfa_serial = arn:aws:iam::1:mfa/a\n"
        );
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let fresh = dir.join("new-config");
        set_in_file(&fresh, "b", "k", Some("v")).unwrap();
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "[profile b]\nk = v\n");
        assert_eq!(
            fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
