//! `awsenv list`: every profile of the AWS config, its kind, MFA device and cached session.

use super::{Context, Run};
use crate::cli;
use crate::clock;
use crate::error::Result;
use crate::profile::{Kept, Profiles, Source};
use crate::session::cache::{Cache, Lookup};
use crate::ui::{self, printable, say};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    account: String,
    /// user, role, other (`served_by` another tool), or invalid (see `error`)
    kind: &'static str,
    /// The key that hands the profile to another tool (`credential_process`, `sso_session`).
    served_by: Option<&'static str>,
    source: Option<String>,
    /// A user's: where its secret key is, `file` or `keychain`.
    key_in: Option<&'static str>,
    mfa_serial: Option<String>,
    session: Option<CachedSession>,
    error: Option<String>,
}

#[derive(Serialize)]
struct CachedSession {
    kind: &'static str,
    expiration: String,
    seconds_left: i64,
    fresh: bool,
}

impl Run for cli::List {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let profiles = Profiles::load(settings.files.clone())?;
        let rows = rows(&profiles, &Cache::new(settings), settings.margin()?);
        if self.json {
            let json = serde_json::to_string_pretty(&rows).expect("rows serialize");
            ui::out(&format!("{}\n", ui::json_safe(&json)));
        } else if rows.is_empty() {
            let files = profiles.files();
            say(&format!(
                "no accounts yet: add profiles to {} and keys to {}",
                files.config.display(),
                files.credentials.display()
            ));
        } else {
            ui::out(&table(&rows));
        }
        Ok(())
    }
}

/// Every profile with what awsenv knows of it.
fn rows(profiles: &Profiles, cache: &Cache, margin: i64) -> Vec<Row> {
    profiles
        .names()
        .map(|name| {
            let session = match cache.read(name) {
                Lookup::Found(s) => Some(CachedSession {
                    kind: s.kind.as_str(),
                    seconds_left: s.seconds_left().max(0),
                    fresh: s.is_fresh(margin),
                    expiration: s.expiration_here(),
                }),
                _ => None,
            };
            let mut row = Row {
                account: name.to_owned(),
                kind: "invalid",
                served_by: None,
                source: None,
                key_in: None,
                mfa_serial: None,
                session,
                error: None,
            };
            match profiles.account(name) {
                Ok(account) => {
                    row.kind = account.kind();
                    match &account.source {
                        Source::Role(role) => row.source = Some(role.from.name.clone()),
                        Source::Keys(keys) => {
                            row.key_in = Some(match keys.kept {
                                Kept::File { .. } => "file",
                                Kept::Keychain { .. } => "keychain",
                            });
                        }
                    }
                    row.mfa_serial = account.mfa_serial;
                }
                Err(_) if profiles.served_elsewhere(name).is_some() => {
                    row.kind = "other";
                    row.served_by = profiles.served_elsewhere(name);
                }
                Err(e) => row.error = Some(e.to_string()),
            }
            row
        })
        .collect()
}

/// The rows as aligned columns, each capped.
fn table(rows: &[Row]) -> String {
    let table: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let session = match &r.session {
                Some(s) if s.seconds_left > 0 => {
                    format!("{} {}", s.kind, clock::human(s.seconds_left))
                }
                Some(s) => format!("{} expired", s.kind),
                None => "-".into(),
            };
            let kind = match (&r.source, &r.error) {
                _ if let Some(key) = r.served_by => format!("{key} (not awsenv's)"),
                (_, Some(_)) => "invalid (awsenv switch says why)".into(),
                (Some(source), _) => format!("role from {source}"),
                _ if r.key_in == Some("keychain") => format!("{} (keychain)", r.kind),
                (None, None) => r.kind.into(),
            };
            let mfa = if r.mfa_serial.is_some() { "yes" } else { "-" };
            [column(&r.account), column(&kind), mfa.into(), session]
        })
        .collect();
    let header = ["ACCOUNT", "KIND", "MFA", "SESSION"].map(String::from);
    let widths: Vec<usize> = (0..3)
        .map(|i| {
            std::iter::once(&header)
                .chain(&table)
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&table) {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    out
}

/// Names can be any length: a column holds at most this many characters, so one odd name
/// cannot push every row off the screen.
const COLUMN: usize = 40;

fn column(text: &str) -> String {
    let text = printable(text);
    if text.chars().count() <= COLUMN {
        return text;
    }
    let mut cut: String = text.chars().take(COLUMN - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_capped_and_printable() {
        assert_eq!(super::column("personal"), "personal");
        let long = super::column(&"x".repeat(5000));
        assert_eq!(long.chars().count(), super::COLUMN);
        assert!(long.ends_with('…'));
        assert_eq!(super::column("a\u{1b}b"), "a\\u{1b}b");
    }
}
