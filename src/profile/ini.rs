//! The AWS shared files' INI dialect, read as the AWS SDKs read it: the profile parser of the
//! AWS SDK for Rust (aws-config, built on aws-runtime's `env_config`), which follows the
//! profile-file tests the SDKs share. awsenv keeps its own copy because the `awsenv` binary
//! must start without the SDK; `tests` below feeds both parsers generated files and fails on
//! any difference.
//!
//! The SDKs' rules, which botocore (under the AWS CLI and boto3) does not all share:
//! - Only `=` separates a key from its value; a `#` or `;` after a space ends a value (an
//!   inline comment); a later key wins over an earlier one.
//! - A line that starts with a space or tab continues the value above it, as written.
//! - `[profile NAME]` and `[default]` in the config file, `[NAME]` in the credentials file;
//!   `[profile default]` hides `[default]` in the same file. Keys are case-insensitive.
//! - A line that is none of these makes the whole file unreadable.
//!
//! One extension: a profile whose name holds characters other than letters, digits and
//! `-_./%@:+` (which the SDKs skip, or cannot read at all when it holds `#` or `;`) is still
//! read, as botocore reads such names, so that no profile a user can select in the AWS CLI
//! disappears from awsenv. Such a name never equals one the SDKs read, so every profile the
//! SDKs read is read the same. `doctor` names each such section.

/// The SDKs trim only these, not every Unicode space.
pub(crate) const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

/// Which shared file: their sections name profiles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `[profile NAME]` (and `[default]`).
    Config,
    /// `[NAME]`.
    Credentials,
}

/// A `key = value` line, with the indented lines that continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub line: usize,
    /// In lower case, as the SDKs compare keys.
    pub key: String,
    pub value: String,
    /// Whether an inline comment was cut off the value.
    pub comment: bool,
    /// The lines that continue the value.
    pub continued: Vec<usize>,
}

/// A section as it appears in a file (a section written twice appears twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section<'a> {
    pub line: usize,
    /// What is between the brackets.
    pub header: &'a str,
    /// Whether a `#` or `;` inside the brackets made the SDKs refuse the file here.
    pub past_comment: bool,
    pub properties: Vec<Property>,
}

/// What a section stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// A profile the SDKs read.
    Profile(String),
    /// A profile only awsenv (and, for some, botocore) reads: its name is not one the SDKs take.
    Unusual(String),
    /// Not a profile (`[sso-session x]`, `[services x]`, `[x]` in the config file).
    Other,
}

/// Why the SDKs refuse a file: its first line they cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// `[...` without its `]`, or with more than a comment after it.
    HeaderEnd,
    /// A setting before the first section.
    NoSection,
    /// An indented line right after a section header.
    NothingToContinue,
    /// No `=`. `sub`: an indented line under a key with an empty value (a nested setting such
    /// as `s3 =`); `colon`: the line has a `:`, which botocore takes for `=`.
    NoEquals { sub: bool, colon: bool },
    /// Nothing before the `=`.
    NoName { sub: bool },
}

impl ParseError {
    /// What is wrong and how to fix it, without the line's text: it may hold a secret.
    pub fn describe(&self) -> String {
        let (what, fix) = match self.problem {
            Problem::HeaderEnd => (
                "a section header that does not end with ]",
                "end it with ] (a # or ; after the ] starts a comment)",
            ),
            Problem::NoSection => (
                "a setting before the first [section]",
                "move it below a section header",
            ),
            Problem::NothingToContinue => (
                "an indented line right after a section header (an indented line continues \
                 the setting above it)",
                "remove its indentation",
            ),
            Problem::NoEquals { sub: false, colon } => (
                if colon {
                    "a line without = (botocore, under the AWS CLI, reads key: value, the AWS \
                     SDKs do not)"
                } else {
                    "a line that is neither a [section], a key = value nor a comment"
                },
                "write key = value, or start a comment with #",
            ),
            Problem::NoEquals { sub: true, .. } => (
                "an indented line without = under a key with no value (nested settings are \
                 key = value)",
                "write key = value, or give the key above a value",
            ),
            Problem::NoName { .. } => ("a line that starts with =", "put the key before the ="),
        };
        format!(
            "line {}: {what}; the AWS SDKs refuse the whole file, and so does awsenv: {fix}",
            self.line
        )
    }
}

/// Reads an AWS shared file into its sections, in file order, as the SDKs parse it.
pub(crate) fn parse(text: &str) -> Result<Vec<Section<'_>>, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    // The property an indented line continues, and whether its value was empty.
    let mut current: Option<(usize, bool)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let error = |problem| ParseError { line: n, problem };
        // An indented `# x` is no comment to the SDKs: it continues the value above.
        if line.trim_matches(WHITESPACE).is_empty() || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let (header, past_comment) = header_of(line).ok_or(error(Problem::HeaderEnd))?;
            sections.push(Section {
                line: n,
                header,
                past_comment,
                properties: Vec::new(),
            });
            current = None;
            continue;
        }
        let section = sections.last_mut().ok_or(error(Problem::NoSection))?;
        if line.starts_with(WHITESPACE) {
            let (at, sub) = current.ok_or(error(Problem::NothingToContinue))?;
            if sub {
                property_line(line).map_err(|p| error(p(true)))?;
            }
            let property = &mut section.properties[at];
            property.value.push('\n');
            property.value.push_str(line.trim_matches(WHITESPACE));
            property.continued.push(n);
        } else {
            let (key, value, comment) = property_line(line).map_err(|p| error(p(false)))?;
            current = Some((section.properties.len(), value.is_empty()));
            section.properties.push(Property {
                line: n,
                key,
                value: value.to_owned(),
                comment,
                continued: Vec::new(),
            });
        }
    }
    Ok(sections)
}

/// The text between the brackets of a header line, and whether only awsenv reads it (a `#` or
/// `;` inside the brackets, where the SDKs see the start of a comment and refuse the file).
pub(crate) fn header_of(line: &str) -> Option<(&str, bool)> {
    fn inner(text: &str) -> Option<&str> {
        text.strip_prefix('[')?.strip_suffix(']')
    }
    if !line.starts_with('[') {
        return None;
    }
    if let Some(header) = inner(prepare_line(line, false).0) {
        return Some((header, false));
    }
    inner(line.trim_matches(WHITESPACE)).map(|header| (header, true))
}

/// The section header of a line, if it is one (indented, it is not).
pub(crate) fn header(line: &str) -> Option<&str> {
    // One line ending, as `str::lines` takes it off: a `\r` more is part of the line.
    let line = line
        .strip_suffix('\n')
        .map_or(line, |l| l.strip_suffix('\r').unwrap_or(l));
    header_of(line).map(|(h, _)| h)
}

type Incomplete = fn(bool) -> Problem;

/// `key = value`: the key in lower case, the value, and whether a comment was cut off.
fn property_line(line: &str) -> Result<(String, &str, bool), Incomplete> {
    let (line, comment) = prepare_line(line, true);
    let Some((key, value)) = line.split_once('=') else {
        return Err(if line.contains(':') {
            |sub| Problem::NoEquals { sub, colon: true }
        } else {
            |sub| Problem::NoEquals { sub, colon: false }
        });
    };
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err(|sub| Problem::NoName { sub });
    }
    Ok((
        key.to_ascii_lowercase(),
        value.trim_matches(WHITESPACE),
        comment,
    ))
}

/// The line without surrounding blanks and its comment, and whether it had one. In a
/// `key = value` line a comment starts at a `#` or `;` after a blank (any Unicode space, as
/// the SDK checks it); in a header line, at any `#` or `;`.
fn prepare_line(line: &str, comments_need_whitespace: bool) -> (&str, bool) {
    let line = line.trim_matches(WHITESPACE);
    let mut after_space = false;
    let mut cut = None;
    for (at, c) in line.char_indices() {
        if COMMENT.contains(&c) && (after_space || !comments_need_whitespace) {
            cut = Some(at);
            break;
        }
        after_space = c.is_whitespace();
    }
    let kept = cut.map_or(line, |at| &line[..at]);
    (kept.trim_matches(WHITESPACE), cut.is_some())
}

/// A profile name or key the SDKs accept.
pub(crate) fn identifier(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// `[profile NAME]` as the SDKs split it: the word before the first blank, and the rest.
fn split(header: &str) -> (Option<&str>, &str) {
    let header = header.trim_matches(WHITESPACE);
    match header.split_once(WHITESPACE) {
        // The SDK trims these further with Unicode's spaces.
        Some((prefix, suffix)) => (Some(prefix.trim()), suffix.trim()),
        None => (None, header.trim()),
    }
}

/// What the section with this header stands for in a file of this kind.
pub(crate) fn name(kind: FileKind, header: &str) -> Name {
    let (prefix, suffix) = split(header);
    match (kind, prefix) {
        (FileKind::Config, Some("profile")) if identifier(suffix) => Name::Profile(suffix.into()),
        (FileKind::Config, Some("profile")) => Name::Unusual(unquoted(suffix).into()),
        (FileKind::Config, None) if suffix == "default" => Name::Profile(suffix.into()),
        (FileKind::Config, _) => Name::Other,
        (FileKind::Credentials, None) if identifier(suffix) => Name::Profile(suffix.into()),
        // Not an identifier, or holding a blank: never a name the SDKs read.
        (FileKind::Credentials, _) => Name::Unusual(header.trim().into()),
    }
}

/// `"a b"` is `a b`, as botocore reads it, unless that would be a name the SDKs read (they
/// skip `[profile "a"]`, so awsenv may not take it for `[profile a]`).
fn unquoted(name: &str) -> &str {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) if !identifier(inner) => inner,
        _ => name,
    }
}

/// `[profile default]`, which hides `[default]` in the same config file.
pub(crate) fn prefixed_default(kind: FileKind, header: &str) -> bool {
    kind == FileKind::Config && split(header) == (Some("profile"), "default")
}

/// The sections of a file that are profiles, with their names, in file order: applying their
/// keys in that order gives each profile its settings. (Where two spellings of one header,
/// such as `[profile a]` and `[profile  a]`, set one key differently, the SDK applies them in
/// no set order; `doctor` says so.)
pub(crate) fn profiles<'s, 't>(
    kind: FileKind,
    sections: &'s [Section<'t>],
) -> Vec<(String, &'s Section<'t>)> {
    let hide_default = sections.iter().any(|s| prefixed_default(kind, s.header));
    sections
        .iter()
        .filter_map(|section| {
            let name = match name(kind, section.header) {
                Name::Profile(name) | Name::Unusual(name) => name,
                Name::Other => return None,
            };
            let hidden =
                hide_default && name == "default" && !prefixed_default(kind, section.header);
            (!hidden).then_some((name, section))
        })
        .collect()
}
