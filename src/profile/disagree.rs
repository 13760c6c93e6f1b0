//! Where AWS's own readers of the shared files disagree: the AWS SDKs (whose reading awsenv
//! shares, see `ini`) and botocore, which the AWS CLI and boto3 read them with (Python's
//! configparser, then botocore's own naming of profiles). `doctor` reports each line that the
//! two read differently, naming who reads what, so that a user can make the file mean one
//! thing to every tool. tests/cli/doctor.rs checks these claims against botocore itself.

use super::ini::{self, FileKind, Name};
use std::collections::BTreeMap;

const BOTOCORE: &str = "botocore (the AWS CLI, boto3)";
const SDKS: &str = "awsenv and the AWS SDKs";

/// One finding per line that botocore reads differently from the SDKs and awsenv, each
/// starting with `file:line:`. A file the SDKs cannot read at all gives none here (reading
/// it fails, and that error says which line).
pub fn findings(file: &str, kind: FileKind, text: &str) -> Vec<String> {
    let Ok(sections) = ini::parse(text) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut say = |line: usize, text: String| out.push(format!("{file}:{line}: {text}"));
    // Sections by botocore's name for them (configparser's: the text between the brackets).
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    // Profiles (as the SDKs and awsenv name them) by the first header naming each.
    let mut named: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for section in &sections {
        let line = lines[section.line - 1];
        let boto_header = botocore_header(line);
        let ours = match ini::name(kind, section.header) {
            Name::Profile(name) | Name::Unusual(name) => Some(name),
            Name::Other => None,
        };
        let sdk = match ini::name(kind, section.header) {
            _ if section.past_comment => View::Refused("a # or ; starts a comment there"),
            Name::Profile(name) => View::Read(name),
            _ => View::Skipped,
        };
        let boto = match boto_header {
            Some(header) => botocore_profile(kind, header).map_or(View::Skipped, View::Read),
            None => View::Refused("[] names no section"),
        };
        let awsenv = ours.clone().map_or(View::Skipped, View::Read);
        let header = crate::ui::printable(section.header);
        if (sdk != awsenv || boto != awsenv)
            && !matches!(
                (&sdk, &boto, &awsenv),
                (View::Skipped, View::Skipped, View::Skipped)
            )
        {
            let readers = describe(&[
                ("awsenv", &awsenv),
                ("the AWS SDKs", &sdk),
                (BOTOCORE, &boto),
            ]);
            let fix = if sdk != awsenv {
                "use only letters, digits and -_./%@:+ in profile names"
            } else {
                "write the header as [profile NAME] (or [NAME] in the credentials file)"
            };
            say(section.line, format!("[{header}]: {readers}: {fix}"));
        }
        if boto_header == Some("DEFAULT") {
            say(
                section.line,
                format!(
                    "[DEFAULT]: {BOTOCORE} adds its keys to every section, the AWS SDKs and awsenv do not: rename it"
                ),
            );
        }
        if let Some(header) = boto_header {
            if let Some(first) = seen.get(header) {
                say(
                    section.line,
                    format!(
                        "[{header}] appears again (first on line {first}): {SDKS} merge the two, \
                         {BOTOCORE} refuses the whole file: merge them",
                        header = crate::ui::printable(header)
                    ),
                );
            } else {
                seen.insert(header, section.line);
            }
        }
        if let Some(name) = &ours {
            match named.get(name) {
                Some(&(first, first_header)) if first_header != section.header => {
                    let is_default = name == "default"
                        && ini::prefixed_default(kind, first_header)
                            != ini::prefixed_default(kind, section.header);
                    let text = if is_default {
                        format!(
                            "[{header}] and [{}] (line {first}) both set the default profile: \
                             {SDKS} read only [profile default], {BOTOCORE} only the one that \
                             comes last: keep one",
                            crate::ui::printable(first_header)
                        )
                    } else {
                        format!(
                            "[{header}] is the profile {name} again, written differently (first \
                             on line {first}): the AWS SDKs merge the two in no set order (awsenv: \
                             the later wins), {BOTOCORE} reads only the last: merge them",
                            name = crate::ui::printable(name)
                        )
                    };
                    say(section.line, text);
                }
                Some(_) => {}
                None => {
                    named.insert(name.clone(), (section.line, section.header));
                }
            }
        }
        let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
        for property in &section.properties {
            let key = crate::ui::printable(&property.key);
            if let Some(first) = keys.get(property.key.as_str()) {
                say(
                    property.line,
                    format!(
                        "[{header}] {key} is set again (first on line {first}): {SDKS} take this \
                         one, {BOTOCORE} refuses the whole file: remove one"
                    ),
                );
            } else {
                keys.insert(&property.key, property.line);
            }
            if property.comment
                && let Some(boto) = botocore_value(lines[property.line - 1])
            {
                let first_line = property.value.split('\n').next().unwrap_or_default();
                let text = if key.contains("secret") || key.contains("token") {
                    format!(
                        "[{header}] {key} ends with a comment, which {SDKS} leave out and \
                         {BOTOCORE} keeps as part of the value: put the comment on a line of its \
                         own"
                    )
                } else {
                    format!(
                        "[{header}] {key} is {} for {SDKS}, but {BOTOCORE} keeps the comment: \
                         {}: put the comment on a line of its own",
                        crate::ui::printable(first_line),
                        crate::ui::printable(boto)
                    )
                };
                say(property.line, text);
            }
            for &at in &property.continued {
                if lines[at - 1].trim_start().starts_with(['#', ';']) {
                    say(
                        at,
                        format!(
                            "this indented comment is part of the value of {key} (line {}) for \
                             {SDKS}, {BOTOCORE} skips it: start the comment at the beginning of \
                             the line",
                            property.line
                        ),
                    );
                }
            }
        }
    }
    out
}

/// How one reader takes a section header.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    Read(String),
    Skipped,
    /// The whole file, for this reason.
    Refused(&'static str),
}

/// "awsenv and X read it as the profile a, Y skips it", grouping readers that agree.
fn describe(readers: &[(&str, &View)]) -> String {
    let mut groups: Vec<(Vec<&str>, &View)> = Vec::new();
    for &(who, view) in readers {
        match groups.iter_mut().find(|(_, v)| *v == view) {
            Some((names, _)) => names.push(who),
            None => groups.push((vec![who], view)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(names, view)| {
            let plural = names.len() > 1 || names[0] == "the AWS SDKs";
            let who = names.join(" and ");
            match view {
                View::Read(name) => format!(
                    "{who} read{} it as the profile {}",
                    if plural { "" } else { "s" },
                    crate::ui::printable(name)
                ),
                View::Skipped => format!(
                    "{who} {} it as a profile",
                    if plural {
                        "do not read"
                    } else {
                        "does not read"
                    }
                ),
                View::Refused(why) => format!(
                    "{who} {} the whole file ({why})",
                    if plural { "refuse" } else { "refuses" }
                ),
            }
        })
        .collect();
    parts.join(", ")
}

/// configparser's section name for a header line: between the first `[` and the last `]`.
fn botocore_header(line: &str) -> Option<&str> {
    let line = line.trim();
    let rest = line.strip_prefix('[')?;
    let header = &rest[..rest.rfind(']')?];
    (!header.is_empty()).then_some(header)
}

/// The profile botocore makes of a section: `default`, or the second of exactly two
/// shell-like words after `profile` in the config file; the name itself in the credentials
/// file.
fn botocore_profile(kind: FileKind, header: &str) -> Option<String> {
    match kind {
        FileKind::Credentials => (header != "DEFAULT").then(|| header.to_owned()),
        FileKind::Config if header == "default" => Some(header.to_owned()),
        FileKind::Config if header.starts_with("profile") => {
            match shlex_split(header)?.as_slice() {
                [_, name] => Some(name.clone()),
                _ => None,
            }
        }
        FileKind::Config => None,
    }
}

/// The value botocore reads on a `key = value` line: everything after the first `=` or `:`,
/// comments and all. None where its key would differ (a `:` before the `=`).
fn botocore_value(line: &str) -> Option<&str> {
    let at = line.find(['=', ':'])?;
    (line.as_bytes()[at] == b'=').then(|| line[at + 1..].trim())
}

/// Python's `shlex.split` (POSIX mode, no comments): words split at blanks, with quotes and
/// backslashes; None where it raises (an open quote, a trailing backslash).
fn shlex_split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\\' => word.get_or_insert_default().push(chars.next()?),
            '\'' => {
                let w = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_default();
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            c => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_splits_as_python_does() {
        let cases: [(&str, Option<&[&str]>); 8] = [
            ("profile a b", Some(&["profile", "a", "b"])),
            ("profile \"a b\"", Some(&["profile", "a b"])),
            ("profile a\\ b", Some(&["profile", "a b"])),
            ("profile \"a\\\"b\"", Some(&["profile", "a\"b"])),
            ("profile 'a\\b'", Some(&["profile", "a\\b"])),
            ("profile \"\"", Some(&["profile", ""])),
            ("profile a\"b", None),
            ("profile a\\", None),
        ];
        for (text, words) in cases {
            let words = words.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(shlex_split(text), words, "{text}");
        }
    }
}
