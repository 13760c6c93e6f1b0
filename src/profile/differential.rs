//! awsenv's reader against the AWS SDK for Rust's own profile parser (aws-runtime's
//! `env_config`, which `aws_config::profile::load` is made of), on generated config and
//! credentials files: every profile must resolve to the same keys and values, and a file the
//! SDK refuses must be refused at the same line for the same reason.
//!
//! awsenv also reads profiles whose names the SDK does not take (see `ini`). The test puts
//! each such header in a form the SDK reads, a placeholder name, before asking the SDK, so
//! that those profiles too are compared key by key.

use super::ini::{self, FileKind, Name, ParseError, Problem};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::section::EnvConfigSections;
use aws_runtime::env_config::source;
use aws_types::os_shim_internal::{Env, Fs};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::task::{Context, Poll, Waker};

type Read = BTreeMap<String, BTreeMap<String, String>>;

/// awsenv's reading of both files, as `Profiles::load` makes it.
fn awsenv(config: &str, credentials: &str) -> Result<Read, (FileKind, ParseError)> {
    let mut profiles = BTreeMap::new();
    for (kind, text) in [
        (FileKind::Config, config),
        (FileKind::Credentials, credentials),
    ] {
        let sections = ini::parse(text).map_err(|e| (kind, e))?;
        super::merge(kind, &sections, &mut profiles, str::to_owned);
    }
    Ok(profiles)
}

/// The SDK's reading, or its error with the kind of file it came from.
fn sdk(config: &str, credentials: &str) -> Result<EnvConfigSections, (FileKind, String)> {
    let load = |files: &[(EnvConfigFileKind, &str)]| {
        let mut builder = EnvConfigFiles::builder();
        for (kind, text) in files {
            builder = builder.with_contents(*kind, *text);
        }
        let files = builder.build();
        let source = ready(source::load(
            &Env::from_slice(&[]),
            &Fs::from_slice(&[]),
            &files,
        ))
        .expect("in-memory files load");
        EnvConfigSections::parse(source).map_err(|e| e.to_string())
    };
    load(&[
        (EnvConfigFileKind::Config, config),
        (EnvConfigFileKind::Credentials, credentials),
    ])
    .map_err(|e| {
        // The error does not say which file (contents have no path): ask about config alone.
        match load(&[(EnvConfigFileKind::Config, config)]) {
            Err(_) => (FileKind::Config, e),
            Ok(_) => (FileKind::Credentials, e),
        }
    })
}

/// The SDK's loading does no I/O for in-memory contents: one poll finishes it.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the SDK's profile loading waited"),
    }
}

/// The SDK's message for each reason awsenv gives.
fn sdk_message(e: &ParseError) -> String {
    let what = match e.problem {
        Problem::HeaderEnd => "Profile definition must end with ']'",
        Problem::NoSection => "Expected a profile definition",
        Problem::NothingToContinue => "Expected a property definition, found continuation",
        Problem::NoEquals { sub: false, .. } => "Expected an '=' sign defining a property",
        Problem::NoEquals { sub: true, .. } => "Expected an '=' sign defining a sub-property",
        Problem::NoName { sub: false } => "Property did not have a name",
        Problem::NoName { sub: true } => "Sub-property did not have a name",
    };
    format!("error parsing  on line {}:\n  {what}", e.line)
}

/// The profile the SDK makes of a header line alone: Ok(None) where it makes none, Err
/// where it refuses the line.
fn sdk_header(kind: FileKind, line: &str) -> Result<Option<String>, ()> {
    let text = format!("{line}\n");
    let (config, credentials) = match kind {
        FileKind::Config => (text.as_str(), ""),
        FileKind::Credentials => ("", text.as_str()),
    };
    let sections = sdk(config, credentials).map_err(|_| ())?;
    Ok(sections.profiles().next().map(str::to_owned))
}

/// The files with each header that the SDK does not read as a profile (asked line by line)
/// but awsenv does made into one the SDK reads: a profile with a placeholder name (the same
/// for the same profile in both files). Also returns awsenv's names for the placeholders.
/// Whether the SDK skips a header is asked of the SDK, so that a header awsenv misreads
/// stays as it is and the comparison finds it.
fn for_the_sdk(
    config: &str,
    credentials: &str,
) -> Result<(String, String, BTreeMap<String, String>), String> {
    let mut placeholders: BTreeMap<String, String> = BTreeMap::new();
    let mut rewrite = |kind: FileKind, text: &str| -> Result<String, String> {
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let ending = &line[body.len()..];
            let sdk_reads = match body.starts_with('[') {
                true => sdk_header(kind, body),
                false => Ok(None),
            };
            let replaced = match (sdk_reads, ini::header_of(body)) {
                (Ok(Some(_)), _) | (_, None) => None,
                (_, Some((header, past_comment))) => match ini::name(kind, header) {
                    Name::Unusual(name) if ini::identifier(&name) => {
                        return Err(format!(
                            "{body:?}: awsenv's own name {name:?} is one the SDK could read"
                        ));
                    }
                    Name::Unusual(name) => {
                        let n = placeholders.len();
                        let placeholder = placeholders
                            .entry(name)
                            .or_insert_with(|| format!("ext-{n}"));
                        Some(match kind {
                            FileKind::Config => format!("[profile {placeholder}]"),
                            FileKind::Credentials => format!("[{placeholder}]"),
                        })
                    }
                    Name::Other if past_comment => Some("[not-a-profile]".to_owned()),
                    // A profile awsenv reads and the SDK does not: left for the comparison.
                    _ => None,
                },
            };
            // The extension, as `ini` states it: a header the SDK refuses only for a `#` or
            // `;` inside its brackets is read.
            if sdk_reads_refused(kind, body)
                && body.trim_matches(ini::WHITESPACE).ends_with(']')
                && ini::header_of(body).is_none()
            {
                return Err(format!("{body:?}: awsenv refuses a header it should read"));
            }
            match replaced {
                Some(replaced) => {
                    out.push_str(&replaced);
                    out.push_str(ending);
                }
                None => out.push_str(line),
            }
        }
        Ok(out)
    };
    let config = rewrite(FileKind::Config, config)?;
    let credentials = rewrite(FileKind::Credentials, credentials)?;
    let names = placeholders.into_iter().map(|(n, p)| (p, n)).collect();
    Ok((config, credentials, names))
}

/// Whether the SDK refuses a line that starts with `[`.
fn sdk_reads_refused(kind: FileKind, line: &str) -> bool {
    line.starts_with('[') && sdk_header(kind, line).is_err()
}

/// Every key the SDK could hold: what precedes the first `=` of some line.
fn candidate_keys(texts: &[&str]) -> BTreeSet<String> {
    texts
        .iter()
        .flat_map(|t| t.lines())
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim_matches(ini::WHITESPACE).to_ascii_lowercase())
        .collect()
}

#[derive(Debug, Default)]
struct Tally {
    read: usize,
    refused: usize,
    unusual: usize,
    reasons: BTreeMap<String, usize>,
}

fn compare(config: &str, credentials: &str, tally: &mut Tally) -> Result<(), String> {
    let ours = awsenv(config, credentials);
    let (sdk_config, sdk_credentials, placeholders) = for_the_sdk(config, credentials)?;
    let theirs = sdk(&sdk_config, &sdk_credentials);
    let (ours, theirs) = match (ours, theirs) {
        (Err((kind, e)), Err((sdk_kind, message))) => {
            if kind != sdk_kind || sdk_message(&e) != message {
                return Err(format!(
                    "both refuse, differently: awsenv {kind:?} {e:?}, SDK {sdk_kind:?} {message:?}"
                ));
            }
            tally.refused += 1;
            *tally.reasons.entry(format!("{:?}", e.problem)).or_default() += 1;
            return Ok(());
        }
        (Ok(ours), Ok(theirs)) => (ours, theirs),
        (ours, theirs) => {
            return Err(format!(
                "awsenv: {ours:?}\nSDK: {:?}",
                theirs.map(|_| "read")
            ));
        }
    };
    tally.read += 1;
    tally.unusual += usize::from(!placeholders.is_empty());
    let awsenv_name = |sdk_name: &str| {
        placeholders
            .get(sdk_name)
            .cloned()
            .unwrap_or_else(|| sdk_name.to_owned())
    };
    let sdk_names: BTreeSet<String> = theirs.profiles().map(awsenv_name).collect();
    let our_names: BTreeSet<String> = ours.keys().cloned().collect();
    if sdk_names != our_names {
        return Err(format!("profiles: awsenv {our_names:?}, SDK {sdk_names:?}"));
    }
    let keys = candidate_keys(&[config, credentials]);
    for sdk_name in theirs.profiles() {
        let name = awsenv_name(sdk_name);
        let profile = theirs.get_profile(sdk_name).expect("listed");
        let our = &ours[&name];
        for key in keys.iter().chain(our.keys()) {
            let (a, b) = (our.get(key).map(String::as_str), profile.get(key));
            if a != b {
                return Err(format!(
                    "profile {name:?} key {key:?}: awsenv {a:?}, SDK {b:?}"
                ));
            }
        }
    }
    Ok(())
}

// The generated files: lines drawn from small pools, so that names, keys and sections repeat,
// with every construct the SDK's parser treats specially.

/// Profile names: some the SDK reads, some only awsenv does.
const NAMES: &[&str] = &[
    "default", "dev", "prod-1", "a.b", "team/ops", "u@corp", "p%20+x:y", "_", "a]b", "a b",
    "\"q\"", "semi;x", "hash#x", "x\u{a0}y", "é", "tab\tx", "~t", "DEFAULT",
];

/// Ways to write the header of the profile `{}` in the config file. The first few are the
/// same profile for the SDK (spellings); the rest are other sections or errors.
const CONFIG_HEADERS: &[&str] = &[
    "[profile {}]",
    "[profile  {}]",
    "[profile\t{}]",
    "[ profile {} ]",
    "[profile {}]  # note",
    "[profile {}];c",
    "[profile {}]\t; x ] y",
    "[\u{a0}profile {}]",
    "[profile {}\u{a0}]",
];
/// Headers other than a profile's, the first `TIDY_OTHER_HEADERS` of each list read by the
/// SDK.
const CONFIG_OTHER_HEADERS: &[&str] = &[
    "[profile \"{}\"]",
    "[profile {} x]",
    "[profile {}]]",
    "[sso-session {}]",
    "[{}-x]",
    "[ {}-x ]",
    "[Profile {}]",
    "[profile{}]",
    "[services {}]",
    "[profile ]",
    "[DEFAULT]",
    "[]",
    "[profile {}] x",
    "  [profile {}]",
    "[profile {}",
];
const CREDENTIALS_HEADERS: &[&str] = &[
    "[{}]",
    "[ {} ]",
    "[{}]   # note",
    "[{}];c",
    "[\t{}\t]",
    "[\u{a0}{}]",
];
const CREDENTIALS_OTHER_HEADERS: &[&str] = &[
    "[profile {}]",
    "[sso-session {}]",
    "[{} x]",
    "[]",
    "[default;]",
    "[{}] x",
    "\t[{}]",
    "[{}",
];
const TIDY_OTHER_HEADERS: [usize; 2] = [12, 5];

const KEYS: &[&str] = &[
    "region",
    "Region",
    "REGION",
    "aws_access_key_id",
    "aws_secret_access_key",
    "role_arn",
    "source_profile",
    "mfa_serial",
    "s3",
    "x-y.z",
    "k:1",
    "k#x",
    "a b",
    "ключ",
    "",
];
/// Keys of sections written with a second spelling in one file: the SDK applies two
/// spellings of one profile in no set order, so they must not set the same keys.
const OTHER_SPELLING_KEYS: &[&str] = &["alt_a", "Alt_A", "alt_b"];

const SEPARATORS: &[&str] = &["=", " = ", "\t=\t", "  =", "= ", ":", " : ", "==", " = = "];

const VALUES: &[&str] = &[
    "eu-west-1",
    "",
    "x y",
    "\"quoted\"",
    "'single'",
    "a=b=c",
    "v#nocomment",
    "v;x",
    "ü",
    "arn:aws:iam::123456789012:role/r",
    "[notheader]",
    "a ]",
    "\u{a0}nbsp\u{a0}",
];

const ENDINGS: &[&str] = &[
    "",
    "  ",
    "\t",
    " # Ireland",
    "\t; note",
    " #",
    "#glued",
    ";glued",
    "\u{a0}# after nbsp",
    " # one # two",
];

const CONTINUATIONS: &[&str] = &[
    "more", "k = v", "k=v # c", "# c", "; c", "= x", "[x]", "x # y", "K = V",
];

const OTHER_LINES: &[&str] = &[
    "# comment",
    "; comment",
    "#",
    ";[x]",
    "",
    "   ",
    "\t",
    " # indented comment",
    "\u{a0}",
    "garbage",
    "=",
    " = x",
    "\r",
];

#[derive(Debug, Clone)]
enum Line {
    Header {
        name: usize,
        spelling: usize,
    },
    OtherHeader {
        name: usize,
        form: usize,
        messy: bool,
    },
    Property {
        key: usize,
        sep: usize,
        value: usize,
        end: usize,
    },
    Continuation {
        indent: usize,
        text: usize,
    },
    Other(usize),
    Garbage(String),
}

/// A line; `messy` lets in lines that make the SDK refuse the file.
fn line(messy: bool) -> impl Strategy<Value = Line> {
    // In a tidy file: no empty key, no `:`, no header or line the SDK refuses.
    let (keys, seps, other_headers, others) = if messy {
        (
            KEYS.len(),
            SEPARATORS.len(),
            CONFIG_OTHER_HEADERS.len(),
            OTHER_LINES.len(),
        )
    } else {
        (KEYS.len() - 1, 3, CONFIG_OTHER_HEADERS.len(), 9)
    };
    let garbage = if messy { 1 } else { 0 };
    prop_oneof![
        5 => (0..NAMES.len(), 0..CONFIG_HEADERS.len())
            .prop_map(|(name, spelling)| Line::Header { name, spelling }),
        1 => (0..NAMES.len(), 0..other_headers)
            .prop_map(move |(name, form)| Line::OtherHeader { name, form, messy }),
        14 => (
            prop_oneof![6 => 0..8usize, 1 => 0..keys],
            prop_oneof![6 => 0..3usize, 1 => 0..seps],
            0..VALUES.len(),
            prop_oneof![3 => Just(0usize), 1 => 0..ENDINGS.len()],
        )
            .prop_map(|(key, sep, value, end)| Line::Property { key, sep, value, end }),
        2 => (0..3usize, 0..CONTINUATIONS.len())
            .prop_map(|(indent, text)| Line::Continuation { indent, text }),
        3 => (0..others).prop_map(Line::Other),
        garbage => "[a-z\\[\\]=#;: \t\"'.]{1,10}".prop_map(Line::Garbage),
    ]
}

/// One file: whether it may hold lines the SDK refuses, the profile its first line opens
/// (tidy files always open one), its lines, its line ending, and whether the last line has one.
#[derive(Debug, Clone)]
struct File {
    messy: bool,
    first: Option<usize>,
    lines: Vec<Line>,
    crlf: bool,
    last_eol: bool,
}

fn file() -> impl Strategy<Value = File> {
    (prop_oneof![4 => Just(false), 1 => Just(true)])
        .prop_flat_map(|messy| {
            (
                Just(messy),
                prop_oneof![5 => (0..6usize).prop_map(Some), 1 => Just(None)],
                prop::collection::vec(line(messy), 0..20),
                prop_oneof![4 => Just(false), 1 => Just(true)],
                any::<bool>(),
            )
        })
        .prop_map(|(messy, first, lines, crlf, last_eol)| File {
            messy,
            first,
            lines,
            crlf,
            last_eol,
        })
}

fn render(kind: FileKind, file: &File) -> String {
    let eol = if file.crlf { "\r\n" } else { "\n" };
    let (spellings, others) = match kind {
        FileKind::Config => (CONFIG_HEADERS, CONFIG_OTHER_HEADERS),
        FileKind::Credentials => (CREDENTIALS_HEADERS, CREDENTIALS_OTHER_HEADERS),
    };
    let first = match file.first {
        None if file.messy => None,
        first => Some(Line::Header {
            name: first.unwrap_or(1),
            spelling: 0,
        }),
    };
    // What an indented line would continue: nothing, a value, or an empty value (whose
    // continuation lines must be `k = v`). Tidy files give each what it needs.
    let mut continues: Option<bool> = None;
    // Per profile: the first spelling seen, and at most one other; a third is made the first.
    let mut seen: BTreeMap<usize, (usize, Option<usize>)> = BTreeMap::new();
    let mut other_spelling = false;
    let mut out: Vec<String> = Vec::new();
    for line in first.iter().chain(&file.lines) {
        out.push(match line {
            Line::Header { name, spelling } => {
                continues = None;
                let mut spelling = spelling % spellings.len();
                let (first, second) = seen.entry(*name).or_insert((spelling, None));
                if spelling != *first {
                    spelling = *second.get_or_insert(spelling);
                }
                other_spelling = spelling != *first;
                // `[default]` and `[profile default]` are different sections, each spelled
                // its own ways.
                match (kind, NAMES[*name]) {
                    (FileKind::Config, "default") if spelling % 2 == 0 => [
                        "[default]",
                        "[ default ]",
                        "[default] ;c",
                        "[default\u{a0}]",
                    ][spelling / 2 % 4]
                        .to_owned(),
                    _ => spellings[spelling].replace("{}", NAMES[*name]),
                }
            }
            Line::OtherHeader { name, form, messy } => {
                other_spelling = false;
                continues = None;
                let forms = if *messy {
                    others.len()
                } else {
                    TIDY_OTHER_HEADERS[kind as usize]
                };
                others[form % forms].replace("{}", NAMES[*name])
            }
            Line::Property {
                key,
                sep,
                value,
                end,
            } => {
                let key = if other_spelling {
                    OTHER_SPELLING_KEYS[key % OTHER_SPELLING_KEYS.len()]
                } else {
                    KEYS[*key]
                };
                continues = Some(VALUES[*value].is_empty());
                format!(
                    "{key}{}{}{}",
                    SEPARATORS[*sep], VALUES[*value], ENDINGS[*end]
                )
            }
            Line::Continuation { indent, text } => {
                let text = match continues {
                    _ if file.messy => CONTINUATIONS[*text],
                    None => "# nothing to continue",
                    Some(true) if !CONTINUATIONS[*text].contains(" = ") => "k = v",
                    Some(_) => CONTINUATIONS[*text],
                };
                if text.starts_with('#') {
                    text.to_owned()
                } else {
                    format!("{}{text}", [" ", "\t", "    "][*indent])
                }
            }
            Line::Other(at) => OTHER_LINES[*at].to_owned(),
            Line::Garbage(text) => text.clone(),
        });
    }
    let mut text = out.join(eol);
    if file.last_eol && !text.is_empty() {
        text.push_str(eol);
    }
    text
}

fn files() -> impl Strategy<Value = (String, String)> {
    (file(), file()).prop_map(|(config, credentials)| {
        (
            render(FileKind::Config, &config),
            render(FileKind::Credentials, &credentials),
        )
    })
}

#[test]
fn awsenv_reads_generated_files_as_the_aws_sdk_does() {
    // Release builds run the full count in a few seconds; debug builds fewer.
    let cases = if cfg!(debug_assertions) {
        2_000
    } else {
        12_000
    };
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&files(), |(config, credentials)| {
        compare(&config, &credentials, &mut tally.borrow_mut()).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    eprintln!("{cases} file pairs: {tally:?}");
    // Both outcomes, and profiles only awsenv names, must be common enough to mean something.
    assert!(tally.read > cases as usize / 4, "{tally:?}");
    assert!(tally.refused > cases as usize / 10, "{tally:?}");
    assert!(tally.unusual > cases as usize / 20, "{tally:?}");
}

/// The cases that made awsenv's reader change, kept as examples of each rule.
#[test]
fn known_differences_from_the_old_reader() {
    let cases: &[(&str, &str)] = &[
        ("[profile a]\nregion = eu-west-1 # Ireland\n", ""),
        ("[profile a]\nregion = eu-west-1\n  # note\n", ""),
        ("[profile a]\nregion: eu-west-1\n", ""),
        ("[profile a]\ngarbage\n", ""),
        ("[profile a] x\nregion = eu-west-1\n", ""),
        ("  [profile a]\nregion = eu-west-1\n", ""),
        ("[profile a]\n  x = 1\n", ""),
        ("[default]\nregion = a\n[profile default]\nx = 1\n", ""),
        ("[profile \"a\"]\nregion = q\n[profile a]\n", ""),
        ("[profile a]\na b = c\nA = 1\n", ""),
        ("[profile a]\ns3 =\n  x = 1 # c\n  y\n", ""),
        ("", "[profile a]\nregion = b\n[a]\n"),
        ("", "[]\nk = v\n"),
        ("[ profile a ]\nk = v\n", "[\u{a0}a]\nj = w\n"),
    ];
    for (config, credentials) in cases {
        compare(config, credentials, &mut Tally::default())
            .unwrap_or_else(|e| panic!("{config:?} {credentials:?}: {e}"));
    }
}
