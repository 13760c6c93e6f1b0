//! The prompt themes people run zsh with, each real, on a pty: powerlevel10k (when a checkout
//! is given in AWSENV_TEST_P10K: no package registry has it), powerlevel9k (Debian's),
//! spaceship and pure (npm, installed by scripts/test into .prompts). The themes that rebuild
//! the prompt at every prompt show awsenv's `awsenv` element; pure keeps awsenv's prefix.

use crate::support::{Home, moto, time_in};
use crate::{Sh, Shim, Terminal, alice_home};
use std::path::{Path, PathBuf};

/// The last element of every themed prompt here: the end the terminal waits for.
const END: &str = "PROMPT>";

/// What a prompt line shows, without its escape sequences.
fn plain(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters, then one final byte in @..~.
        if chars.next_if_eq(&'[').is_some() {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// A theme in .prompts (scripts/test installs them).
fn npm_theme(package: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".prompts/node_modules")
        .join(package);
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/test, which installs tests/prompts",
        dir.display()
    );
    dir
}

/// The .zshrc of a themed terminal: `theme` loads and sets up the theme; awsenv comes after,
/// as its README says.
fn zshrc(theme: &str) -> String {
    format!(
        "unsetopt prompt_sp\nautoload -Uz compinit && compinit -u\n{theme}\n\
         eval \"$(awsenv init zsh)\"\n"
    )
}

/// Colours on, as in a real terminal (the pty says TERM=dumb).
const COLOURS: &[(&str, &str)] = &[("AWSENV_COLORS", "1")];

/// The SGR sequence of a basic colour as zsh writes `%F{colour}`.
fn sgr(colour: &str) -> String {
    let n = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    ]
    .iter()
    .position(|c| *c == colour)
    .unwrap();
    format!("\x1b[3{n}m")
}

/// Asserts that the awsenv text is shown once, in `colour` (the last colour set before it).
fn shown_in(raw: &str, text: &str, colour: &str) {
    let at = raw
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} is not in {raw:?}"));
    assert_eq!(plain(raw).matches(text).count(), 1, "{raw:?}");
    let last_colour = raw[..at].rfind("\x1b[3").map(|i| &raw[i..i + 5]);
    assert_eq!(last_colour, Some(sgr(colour).as_str()), "{text} in {raw:?}");
}

/// Everything the terminal shows up to the end of the next prompt, raw (a theme's prompt may
/// take two lines).
fn next_prompt(t: &mut Terminal) -> String {
    t.pty.wait_for(END)
}

/// Presses enter at an empty prompt: the prompt that follows, raw.
fn prompt(t: &mut Terminal) -> String {
    t.pty.send("\n");
    next_prompt(t)
}

/// Sets alice's cached session to end in `secs` and takes it into the shell.
fn ending_in(t: &mut Terminal, home: &Home, secs: i64) {
    let mut cached = home.read_cache("alice");
    cached["expiration"] = time_in(secs).into();
    home.write_cache("alice", &cached);
    t.run("awsenv switch alice");
}

/// The powerlevel10k/powerlevel9k flow: 12h (green), 10m (the SOON style), expired (red),
/// and nothing after `awsenv clear`.
fn countdown_in(theme: &str, soon_colour: &str) {
    let (home, alice) = alice_home();
    let env = [COLOURS, &[("AWSENV_EXPIRY_MARGIN", "0")]].concat();
    let mut t = Terminal::zsh(&home, &zshrc(theme), END, &env);
    assert!(!plain(&prompt(&mut t)).contains("alice"));

    t.switch_with_mfa("alice", &alice);
    shown_in(&next_prompt(&mut t), "alice 12h", "green");

    // Steady state: prompts and command lines start no awsenv.
    let shim = Shim::new(&home);
    t.run(&shim.rc_line(Sh::Zsh));
    for _ in 0..3 {
        shown_in(&prompt(&mut t), "alice 12h", "green");
        t.run("true");
    }
    assert_eq!(shim.starts(), Vec::<String>::new());

    ending_in(&mut t, &home, 600);
    shown_in(&prompt(&mut t), "alice 10m", soon_colour);

    ending_in(&mut t, &home, 2);
    std::thread::sleep(std::time::Duration::from_secs(3));
    shown_in(&prompt(&mut t), "alice expired", "red");

    t.run("awsenv clear");
    let raw = prompt(&mut t);
    assert!(!plain(&raw).contains("alice"), "{raw:?}");
    assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
}

/// powerlevel10k's checkout, or None (and the test says it is skipped).
fn p10k() -> Option<PathBuf> {
    let dir = std::env::var_os("AWSENV_TEST_P10K").map(PathBuf::from);
    if dir.is_none() {
        eprintln!(
            "skipped: powerlevel10k is in no package registry; set AWSENV_TEST_P10K to a \
             checkout of it to run this test"
        );
    }
    dir
}

/// powerlevel10k with `awsenv` and the end mark as its left prompt, instant prompt as given.
fn p10k_theme(p10k: &Path, instant_prompt: &str) -> String {
    format!(
        "typeset -g POWERLEVEL9K_INSTANT_PROMPT={instant_prompt}\n\
         typeset -g POWERLEVEL9K_DISABLE_CONFIGURATION_WIZARD=true\n\
         typeset -g POWERLEVEL9K_DISABLE_GITSTATUS=true POWERLEVEL9K_MODE=ascii\n\
         typeset -g POWERLEVEL9K_LEFT_PROMPT_ELEMENTS=(awsenv mark) POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS=()\n\
         typeset -g POWERLEVEL9K_AWSENV_SOON_FOREGROUND=magenta\n\
         prompt_mark() {{ p10k segment -t '{END}' }}\n\
         instant_prompt_mark() {{ prompt_mark }}\n\
         source {}/powerlevel10k.zsh-theme",
        p10k.display()
    )
}

#[test]
fn powerlevel10k_shows_the_awsenv_element_and_counts_down() {
    let Some(p10k) = p10k() else { return };
    countdown_in(&p10k_theme(&p10k, "off"), "magenta");
}

#[test]
fn powerlevel10k_instant_prompt_shows_an_inherited_account_at_once() {
    let Some(p10k) = p10k() else { return };
    let (home, alice) = alice_home();
    // p10k's own preamble, first in .zshrc; the snapshot it replays is written at a prompt.
    let preamble = "p=${XDG_CACHE_HOME:-$HOME/.cache}/p10k-instant-prompt-${(%):-%n}.zsh\n\
                    [[ -r $p ]] && source $p\n";
    let rc = format!("{preamble}{}", zshrc(&p10k_theme(&p10k, "verbose")));
    // No instant prompt without the line editor, which a dumb terminal does not get.
    let env = [COLOURS, &[("TERM", "xterm-256color")]].concat();
    let mut t = Terminal::zsh(&home, &rc, END, &env);
    t.switch_with_mfa("alice", &alice);
    next_prompt(&mut t);
    // p10k writes the snapshot when the line editor is idle.
    let cache = home.dir.join("xdg-cache");
    let snapshot = || {
        std::fs::read_dir(&cache)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("p10k-instant-prompt-") && name.ends_with(".zsh")
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !snapshot() {
        assert!(
            std::time::Instant::now() < deadline,
            "p10k wrote no instant prompt"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // A shell started from this one: before its .zshrc has run, the instant prompt shows the
    // account it inherited; then the real prompt shows its time; nothing was printed in
    // between that would make p10k complain.
    t.pty.send("exec zsh -i\n");
    let instant = plain(&next_prompt(&mut t));
    assert!(
        instant.contains("alice") && !instant.contains("alice 12h"),
        "the first prompt drawn is the instant one, with the account: {instant:?}"
    );
    let real = prompt(&mut t);
    shown_in(&real, "alice 12h", "green");
    let screen = plain(&t.pty.screen());
    assert!(!screen.contains("instant prompt"), "{screen}");
}

#[test]
fn powerlevel9k_shows_the_awsenv_element_and_counts_down() {
    let theme = format!(
        "typeset -g POWERLEVEL9K_LEFT_PROMPT_ELEMENTS=(awsenv mark) POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS=()\n\
         prompt_mark() {{ \"$1_prompt_segment\" \"$0\" \"$2\" black white '{END}' }}\n\
         source /usr/share/powerlevel9k/powerlevel9k.zsh-theme"
    );
    // powerlevel9k has no states: the colour awsenv chose, yellow.
    countdown_in(&theme, "yellow");
}

#[test]
fn spaceship_shows_the_awsenv_section() {
    let (home, alice) = alice_home();
    let theme = format!(
        "SPACESHIP_CHAR_SYMBOL='{END}' SPACESHIP_PROMPT_ADD_NEWLINE=false\n\
         source {}/spaceship.zsh\n\
         # awsenv's README: the one line after `awsenv init`.\n",
        npm_theme("spaceship-prompt").display()
    );
    let rc = zshrc(&theme) + "spaceship add --before dir awsenv\n";
    let mut t = Terminal::zsh(&home, &rc, END, COLOURS);
    t.switch_with_mfa("alice", &alice);
    shown_in(&next_prompt(&mut t), "alice 12h", "green");
    t.run("awsenv clear");
    assert!(!plain(&prompt(&mut t)).contains("alice"));
}

#[test]
fn pure_keeps_the_awsenv_prefix() {
    let (home, alice) = alice_home();
    let theme = format!(
        "fpath+=({})\nPURE_PROMPT_SYMBOL='{END}'\nautoload -U promptinit; promptinit\nprompt pure",
        npm_theme("pure-prompt").display()
    );
    let mut t = Terminal::zsh(&home, &zshrc(&theme), END, COLOURS);
    t.switch_with_mfa("alice", &alice);
    shown_in(&next_prompt(&mut t), "alice 12h", "green");
    t.run("awsenv clear");
    assert!(!plain(&prompt(&mut t)).contains("alice"));
}
