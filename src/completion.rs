//! Shell completions, clap_complete's dynamic kind: the shell asks `awsenv` itself at each
//! TAB (with `COMPLETE=SHELL` set), so `awsenv switch <TAB>` offers the accounts of the
//! current config. `awsenv completions SHELL` prints the small registration script (checked
//! in under completions/); `awsenv init` includes it, regenerated at every shell start so it
//! always matches the binary.
//!
//! Account names come from the user's config and may hold any character. bash and PowerShell
//! insert a candidate into the command line as typed code, so ours come back quoted for that
//! shell; zsh (compadd) and fish quote what they insert themselves.

use crate::cli::Cli;
use crate::shell::Shell;
use clap::CommandFactory;
use clap_complete::engine;
use clap_complete::env::{Bash, CompleteEnv, Elvish, EnvCompleter, Fish, Powershell, Shells, Zsh};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The environment variable that turns a run of awsenv into a completion request.
const VAR: &str = "COMPLETE";

/// The quote bash's completion function found open before the word (see completion.bash).
const QUOTE_VAR: &str = "_AWSENV_QUOTE";

/// Answers a completion request and exits, if this run is one.
pub fn answer_if_asked() {
    CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .bin("awsenv")
        .completer("awsenv")
        .shells(Shells(&[
            &QuotingBash,
            &Elvish,
            &Fish,
            &QuotingPowershell,
            &Zsh,
        ]))
        .complete();
}

pub fn registration(shell: Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &QuotingBash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &QuotingPowershell,
    };
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "awsenv", "awsenv", "awsenv", &mut script)
        .expect("writing to memory cannot fail");
    String::from_utf8(script).expect("clap_complete writes UTF-8")
}

/// bash, with our own function (shell/bash/completion.bash), fed candidates quoted as words.
struct QuotingBash;

impl EnvCompleter for QuotingBash {
    fn name(&self) -> &'static str {
        Bash.name()
    }

    fn is(&self, name: &str) -> bool {
        Bash.is(name)
    }

    /// The script names `COMPLETE` and `awsenv` itself: the only ones `answer_if_asked` and
    /// `registration` use.
    fn write_registration(
        &self,
        _var: &str,
        _name: &str,
        _bin: &str,
        _completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        buf.write_all(include_str!("../shell/bash/completion.bash").as_bytes())
    }

    /// One candidate a line: quoting leaves no newline in them.
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index: usize = std::env::var("_CLAP_COMPLETE_INDEX")
            .ok()
            .and_then(|i| i.parse().ok())
            .unwrap_or_default();
        let quote = match std::env::var(QUOTE_VAR).as_deref() {
            Ok("'") => Some('\''),
            Ok("\"") => Some('"'),
            _ => None,
        };
        // Words come as typed; clap must see the names they stand for.
        let args = args
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                let mut typed = Vec::new();
                if i == index
                    && let Some(q) = quote
                {
                    typed.push(q as u8);
                }
                typed.extend_from_slice(arg.as_bytes());
                OsString::from_vec(bash_dequote(&typed))
            })
            .collect();
        let utf8 = utf8_locale();
        for candidate in engine::complete(cmd, args, index, current_dir)? {
            let value = candidate.get_value().as_bytes();
            writeln!(buf, "{}", bash_candidate(value, quote, utf8))?;
        }
        Ok(())
    }
}

/// PowerShell, clap's registration, fed candidates quoted as arguments.
struct QuotingPowershell;

impl EnvCompleter for QuotingPowershell {
    fn name(&self) -> &'static str {
        Powershell.name()
    }

    fn is(&self, name: &str) -> bool {
        Powershell.is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        Powershell.write_registration(var, name, bin, completer, buf)
    }

    /// Like clap's: `text[\thelp]` a line. The registration makes `text` a CompletionResult,
    /// whose text PowerShell inserts into the command line as it is.
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = args.len().saturating_sub(1);
        for candidate in engine::complete(cmd, args, index, current_dir)? {
            let text = powershell_argument(&candidate.get_value().to_string_lossy());
            write!(buf, "{text}")?;
            if let Some(help) = candidate.get_help() {
                let help = help.to_string();
                write!(buf, "\t{}", help.lines().next().unwrap_or_default())?;
            }
            writeln!(buf)?;
        }
        Ok(())
    }
}

/// Whether the terminal's characters are UTF-8, so that bash reads the bytes of a name such
/// as `café` as letters (in another encoding they could end in a byte that swallows the
/// backslash after them).
fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|value| !value.is_empty())
        .is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
}

/// `value` as readline should insert it: a bash word that reads back as `value` (what
/// `printf %q` makes). After an open quote a plain word goes inside it, and readline closes
/// it; one that needs quoting comes as `''WORD''`. Starting with the quote, it replaces the
/// open one (readline does not double it), and ending with it, readline adds none; were the
/// open quote kept, `'''WORD''` would still run nothing.
fn bash_candidate(value: &[u8], quote: Option<char>, utf8: bool) -> String {
    let word = bash_word(value, utf8);
    match quote {
        Some(q) if word.as_bytes() != value => format!("{q}{q}{word}{q}{q}"),
        _ => word,
    }
}

/// What readline makes of the line after an open `quote` and a `candidate` (for tests).
#[cfg(test)]
fn inserted(quote: Option<char>, candidate: &str) -> String {
    match quote {
        Some(q) if candidate.starts_with(q) => candidate.to_owned(),
        Some(q) if candidate.ends_with(q) => format!("{q}{candidate}"),
        Some(q) => format!("{q}{candidate}{q}"),
        None => candidate.to_owned(),
    }
}

/// A bash word for `value`: letters and a few punctuation marks as they are, other printable
/// characters after a backslash, control characters (and, outside a UTF-8 locale, bytes
/// beyond ASCII) as `$'\xNN'`.
fn bash_word(value: &[u8], utf8: bool) -> String {
    if value.is_empty() {
        return "''".to_owned();
    }
    let keep_beyond_ascii = utf8 && std::str::from_utf8(value).is_ok();
    let mut word = Vec::with_capacity(value.len() + 8);
    let mut escaped = String::new();
    let flush = |word: &mut Vec<u8>, escaped: &mut String| {
        if !escaped.is_empty() {
            word.extend_from_slice(format!("$'{escaped}'").as_bytes());
            escaped.clear();
        }
    };
    for &byte in value {
        if byte.is_ascii_alphanumeric()
            || b"_./:=@%+,-".contains(&byte)
            || (byte >= 0x80 && keep_beyond_ascii)
        {
            flush(&mut word, &mut escaped);
            word.push(byte);
        } else if byte.is_ascii_graphic() || byte == b' ' {
            flush(&mut word, &mut escaped);
            word.extend_from_slice(&[b'\\', byte]);
        } else {
            let _ = write!(escaped, "\\x{byte:02x}");
        }
    }
    flush(&mut word, &mut escaped);
    // Only ASCII was added, and bytes beyond it only when they are whole UTF-8 characters.
    String::from_utf8(word).expect("a bash word is UTF-8")
}

/// The word bash makes of `typed`, as far as it goes: backslashes, '…', "…" and $'…' undone,
/// an unclosed quote taken to run to the end. Nothing is expanded.
fn bash_dequote(typed: &[u8]) -> Vec<u8> {
    let mut word = Vec::with_capacity(typed.len());
    let mut rest = typed;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'\\' => {
                if let Some((&next, tail)) = rest.split_first() {
                    word.push(next);
                    rest = tail;
                }
            }
            b'\'' => {
                let end = rest.iter().position(|&b| b == b'\'').unwrap_or(rest.len());
                word.extend_from_slice(&rest[..end]);
                rest = rest.get(end + 1..).unwrap_or_default();
            }
            b'$' if rest.first() == Some(&b'\'') => rest = ansi_c(&rest[1..], &mut word),
            b'"' => {
                while let Some((&byte, tail)) = rest.split_first() {
                    rest = tail;
                    match byte {
                        b'"' => break,
                        b'\\' => match rest.split_first() {
                            Some((&next @ (b'$' | b'`' | b'"' | b'\\'), tail)) => {
                                word.push(next);
                                rest = tail;
                            }
                            Some((b'\n', tail)) => rest = tail,
                            _ => word.push(b'\\'),
                        },
                        _ => word.push(byte),
                    }
                }
            }
            _ => word.push(byte),
        }
    }
    word
}

/// The inside of a $'…' up to its closing quote, decoded into `word` (the escapes bash_word
/// writes, and the common ones); returns what follows it.
fn ansi_c<'a>(mut rest: &'a [u8], word: &mut Vec<u8>) -> &'a [u8] {
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'\'' => break,
            b'\\' => {
                let Some((&kind, tail)) = rest.split_first() else {
                    word.push(b'\\');
                    break;
                };
                rest = tail;
                let simple = match kind {
                    b'a' => Some(0x07),
                    b'b' => Some(0x08),
                    b'e' | b'E' => Some(0x1b),
                    b'f' => Some(0x0c),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'v' => Some(0x0b),
                    b'\\' | b'\'' | b'"' | b'?' => Some(kind),
                    _ => None,
                };
                if let Some(byte) = simple {
                    word.push(byte);
                } else if kind == b'x' {
                    let digits = rest
                        .iter()
                        .take(2)
                        .take_while(|b| b.is_ascii_hexdigit())
                        .count();
                    let hex = std::str::from_utf8(&rest[..digits]).unwrap_or_default();
                    match u8::from_str_radix(hex, 16) {
                        Ok(byte) => word.push(byte),
                        Err(_) => word.extend_from_slice(b"\\x"),
                    }
                    rest = &rest[digits..];
                } else {
                    word.extend_from_slice(&[b'\\', kind]);
                }
            }
            _ => word.push(byte),
        }
    }
    rest
}

/// `value` as a PowerShell argument: as it is when it is a plain word that stays a string
/// (`personal`, `--code`; not `1e3`, which PowerShell would pass as 1000), else in single
/// quotes with every kind of single quote doubled, or, holding control characters (which
/// would break the registration's lines), in double quotes with `$([char]N)` for them.
fn powershell_argument(value: &str) -> String {
    let starts_as_word = value
        .trim_start_matches('-')
        .starts_with(|c: char| c.is_ascii_alphabetic());
    if starts_as_word
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-+=".contains(c))
    {
        return value.to_owned();
    }
    let mut text = String::with_capacity(value.len() + 2);
    if !value.chars().any(char::is_control) {
        text.push('\'');
        for c in value.chars() {
            if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
                text.push(c);
            }
            text.push(c);
        }
        text.push('\'');
    } else {
        text.push('"');
        for c in value.chars() {
            match c {
                '`' | '$' | '"' | '\u{201c}' | '\u{201d}' | '\u{201e}' => {
                    text.push('`');
                    text.push(c);
                }
                c if c.is_control() => {
                    let _ = write!(text, "$([char]{})", u32::from(c));
                }
                c => text.push(c),
            }
        }
        text.push('"');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_words_escape_what_the_shell_would_read() {
        let word = |s: &str| bash_word(s.as_bytes(), true);
        assert_eq!(word("personal"), "personal");
        assert_eq!(word("org/dev:eu-1"), "org/dev:eu-1");
        assert_eq!(word("a;touch x"), "a\\;touch\\ x");
        assert_eq!(word("$(x)`y`"), "\\$\\(x\\)\\`y\\`");
        assert_eq!(word("~x*"), "\\~x\\*");
        assert_eq!(word("a!b"), "a\\!b");
        assert_eq!(word("a\tb\x0bc"), "a$'\\x09'b$'\\x0b'c");
        assert_eq!(word(""), "''");
        assert_eq!(word("café"), "café");
        assert_eq!(bash_word("café".as_bytes(), false), "caf$'\\xc3\\xa9'");
        assert_eq!(bash_word(b"a\xffb", true), "a$'\\xff'b");
    }

    #[test]
    fn after_an_open_quote_a_word_closes_it_first() {
        let candidate = |s: &str, q| bash_candidate(s.as_bytes(), Some(q), true);
        assert_eq!(candidate("personal", '\''), "personal");
        assert_eq!(candidate("a;b", '\''), "''a\\;b''");
        assert_eq!(candidate("a\"b", '"'), "\"\"a\\\"b\"\"");
    }

    #[test]
    fn dequoting_undoes_what_bash_quoting_does() {
        let dequote = |s: &str| String::from_utf8(bash_dequote(s.as_bytes())).unwrap();
        assert_eq!(dequote("a\\;b\\ c"), "a;b c");
        assert_eq!(dequote("'a;b'c"), "a;bc");
        assert_eq!(dequote("\"a\\$b\\x\""), "a$b\\x");
        assert_eq!(dequote("'open"), "open");
        assert_eq!(dequote("$'a\\x09b\\'c'd"), "a\tb'cd");
        for name in ["a;touch x", "$(x)`y`'\"z", "t\tab\x0b\r", "~*?", "é", ""] {
            for quote in [None, Some('\''), Some('"')] {
                let typed = inserted(quote, &bash_candidate(name.as_bytes(), quote, true));
                assert_eq!(dequote(&typed), name, "{typed}");
            }
        }
        assert_eq!(bash_dequote(b"caf$'\\xc3\\xa9'"), "café".as_bytes());
    }

    #[test]
    fn powershell_arguments_are_quoted_unless_plain() {
        assert_eq!(powershell_argument("personal"), "personal");
        assert_eq!(powershell_argument("--code"), "--code");
        assert_eq!(powershell_argument("org/dev-1.2"), "org/dev-1.2");
        assert_eq!(powershell_argument("1e3"), "'1e3'");
        assert_eq!(powershell_argument("-5"), "'-5'");
        assert_eq!(powershell_argument("a;b"), "'a;b'");
        assert_eq!(powershell_argument("$(x)"), "'$(x)'");
        assert_eq!(powershell_argument("it's"), "'it''s'");
        assert_eq!(powershell_argument("it\u{2019}s"), "'it\u{2019}\u{2019}s'");
        assert_eq!(powershell_argument("@x,y"), "'@x,y'");
        assert_eq!(powershell_argument(""), "''");
        assert_eq!(
            powershell_argument("a\tb$`\"\u{201c}"),
            "\"a$([char]9)b`$```\"`\u{201c}\""
        );
    }
}
