//! The prompt segment: `personal 42m`, `work-admin 1h05m`, `personal expired`, coloured as
//! the end nears. `awsenv prompt` prints it for other prompt engines (a tmux status line, a
//! starship custom module), and the hook hands it to shells without a clock builtin (fish
//! before 3.6, bash before 4.2, zsh without zsh/datetime). bash, zsh, fish and PowerShell build
//! the same text themselves at each prompt (shell/*/), with no process.

use crate::clock;
use crate::current::Current;
use crate::settings::Settings;
use crate::ui::printable;

/// Yellow from this many seconds before the end; red inside the expiry margin. The one
/// place this is said: `awsenv init` hands it to the scripts that count down themselves.
pub const SOON: i64 = 15 * 60;

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

/// The segment for what the shell has, if an account is selected.
pub fn current(current: &Current, settings: &Settings, flavor: Flavor) -> Option<String> {
    let account = current.account()?;
    let margin = settings.margin_or_default();
    let segment = segment(account, current.expires(), margin, clock::now());
    Some(paint(&segment, flavor, settings.colors))
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
