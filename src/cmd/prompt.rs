//! The prompt segment: `personal 42m`, `work-admin 1h05m`, `personal expired`, coloured as
//! the end nears. `awsenv prompt` prints it for other prompt engines (a tmux status line, a
//! starship custom module), and the hook hands it to shells without a clock builtin. bash, zsh
//! and PowerShell build the same text themselves at each prompt (shell/*/), with no process.

use super::env;
use crate::clock;
use crate::error::Result;
use crate::obtain;
use crate::ui::printable;
use crate::vars;

/// Yellow from this many seconds before the end; red inside the expiry margin.
const SOON: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Fine,
    Soon,
    Ending,
}

/// How a shell wants colours marked in its prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Raw ANSI sequences (fish, PowerShell, other prompt engines).
    Ansi,
    /// ANSI wrapped in readline's \001..\002 so bash counts the prompt's width right.
    Bash,
    /// zsh prompt sequences; a literal `%` is written `%%`.
    Zsh,
}

pub struct Segment {
    pub text: String,
    pub level: Level,
}

/// The segment for `account` whose credentials end at `expires` (None: they were cleared).
pub fn segment(account: &str, expires: Option<i64>, margin: i64, now: i64) -> Segment {
    let name = printable(account);
    match expires.map(|at| at - now) {
        Some(left) if left > 0 => Segment {
            text: format!("{name} {}", clock::human(left)),
            level: if left <= margin {
                Level::Ending
            } else if left <= SOON {
                Level::Soon
            } else {
                Level::Fine
            },
        },
        _ => Segment {
            text: format!("{name} expired"),
            level: Level::Ending,
        },
    }
}

/// `NO_COLOR` turns colours off, `AWSENV_COLORS=0/1` decides, else any terminal but `dumb`.
pub fn colors() -> bool {
    if env("NO_COLOR").is_some() {
        return false;
    }
    match env("AWSENV_COLORS").as_deref() {
        Some("0") => false,
        Some(_) => true,
        None => env("TERM").is_some_and(|t| t != "dumb"),
    }
}

pub fn paint(segment: &Segment, flavor: Flavor, colors: bool) -> String {
    let text = match flavor {
        Flavor::Zsh => segment.text.replace('%', "%%"),
        _ => segment.text.clone(),
    };
    if !colors {
        return text;
    }
    let (ansi, zsh) = match segment.level {
        Level::Fine => ("32", "green"),
        Level::Soon => ("33", "yellow"),
        Level::Ending => ("31", "red"),
    };
    match flavor {
        Flavor::Ansi => format!("\x1b[{ansi}m{text}\x1b[0m"),
        Flavor::Bash => format!("\x01\x1b[{ansi}m\x02{text}\x01\x1b[0m\x02"),
        Flavor::Zsh => format!("%F{{{zsh}}}{text}%f"),
    }
}

/// The segment for this shell's environment, if an account is selected.
pub fn current(flavor: Flavor) -> Option<String> {
    let account = env(vars::ACCOUNT)?;
    let expires = env("AWS_ACCESS_KEY_ID")
        .and(env("AWS_CREDENTIAL_EXPIRATION"))
        .as_deref()
        .and_then(clock::parse_rfc3339);
    let margin = obtain::margin().unwrap_or(obtain::DEFAULT_MARGIN);
    let segment = segment(&account, expires, margin, clock::now());
    Some(paint(&segment, flavor, colors()))
}

pub fn run() -> Result<()> {
    if let Some(segment) = current(Flavor::Ansi) {
        crate::ui::out(&format!("{segment}\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_level_follow_the_time_left() {
        let now = 1_000_000;
        let at = |left: i64| segment("personal", Some(now + left), 300, now);
        assert_eq!(at(42 * 60).text, "personal 42m");
        assert_eq!(at(42 * 60).level, Level::Fine);
        assert_eq!(at(10 * 60).level, Level::Soon);
        assert_eq!(at(3900).text, "personal 1h05m");
        assert_eq!(at(3900).level, Level::Fine);
        assert_eq!(at(200).level, Level::Ending);
        assert_eq!(at(-1).text, "personal expired");
        assert_eq!(segment("x", None, 300, now).text, "x expired");
    }

    #[test]
    fn each_flavor_marks_colours_its_own_way() {
        let s = Segment {
            text: "100%".into(),
            level: Level::Fine,
        };
        assert_eq!(paint(&s, Flavor::Zsh, false), "100%%");
        assert_eq!(paint(&s, Flavor::Zsh, true), "%F{green}100%%%f");
        assert_eq!(
            paint(&s, Flavor::Bash, true),
            "\x01\x1b[32m\x02100%\x01\x1b[0m\x02"
        );
        assert_eq!(paint(&s, Flavor::Ansi, true), "\x1b[32m100%\x1b[0m");
        // Names are made printable before they get here.
        assert_eq!(segment("a\x1bb", None, 0, 0).text, "a\\u{1b}b expired");
    }
}
