//! The shell scripts as checked assets. Every script `awsenv init` renders, for every choice
//! of options, passes its shell's linter and formatter and loads under errexit and nounset;
//! and the countdown that bash, zsh (shell/posix/segment.sh) and fish build with builtins
//! says what the binary says (for `awsenv prompt`, for a shell without a clock, fish before
//! 3.6 among them), to the second and in the same colour.
//!
//! shellcheck runs with its default checks and excludes no code here. The findings that are
//! meant are disabled in shell/bash/init.bash where they occur, each with its reason: SC2016
//! (PS1 holds the unexpanded `${AWSENV_PROMPT...}` reference on purpose) and SC2128/SC2178
//! (PROMPT_COMMAND is an array in one branch and a string in the other). SC2034 (assigned
//! but unused) does not fire: every variable the rendered script sets, it reads.
//!
//! shfmt has no zsh or fish mode, and the formatters judge the scripts under shell/, not the
//! option lines before them, which the binary renders with its quoting (`name='1';`).

use crate::support::{Home, Out, moto, time_in};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Every choice of `awsenv init` options.
const OPTIONS: [&[&str]; 4] = [
    &[],
    &["--no-prompt"],
    &["--aws-wrapper"],
    &["--no-prompt", "--aws-wrapper"],
];

/// The style of shell/bash/ and shell/posix/: four spaces, `case` arms not indented.
const SHFMT: [&str; 4] = ["-ln", "bash", "-i", "4"];

/// `awsenv init SHELL ARGS`: the option lines, then the script from shell/.
struct Rendered {
    whole: String,
    script: String,
    /// The variables the option lines set, with their values.
    options: Vec<(String, String)>,
}

fn render(home: &Home, shell: &str, args: &[&str]) -> Rendered {
    let mut argv = vec!["init", shell];
    argv.extend(args);
    let whole = home.run(&argv).ok().stdout;
    let at = whole
        .find("# awsenv for ")
        .unwrap_or_else(|| panic!("{shell}: no script in\n{whole}"));
    let options = whole[..at]
        .lines()
        .map(|line| {
            let (name, value) = match shell {
                "bash" | "zsh" => line.split_once('='),
                "fish" => line.strip_prefix("set -g ").and_then(|l| l.split_once(' ')),
                _ => line
                    .strip_prefix("$global:")
                    .and_then(|l| l.split_once(" = ")),
            }
            .unwrap_or_else(|| panic!("{shell}: not an option line: {line:?}"));
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix("';"))
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or_else(|| panic!("{shell}: not a quoted number: {line:?}"));
            assert!(name.starts_with("__awsenv_"), "{shell}: {line:?}");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    Rendered {
        script: whole[at..].to_owned(),
        whole,
        options,
    }
}

fn write(home: &Home, name: &str, text: &str) -> PathBuf {
    let path = home.dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a tool that scripts/test installs; a missing one says so.
fn run(home: &Home, program: &str, args: &[&str], file: &Path) -> Out {
    let out = home
        .command(program)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program}: {e}: run scripts/test, which installs the test dependencies")
        });
    home.output(out, true)
}

fn passes(out: Out, what: &str) {
    assert!(
        out.code == Some(0) && out.stderr.is_empty(),
        "{what}:\n{}{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn every_rendered_script_passes_its_linters() {
    let home = Home::new();
    for args in OPTIONS {
        let bash = render(&home, "bash", args);
        let whole = write(&home, "init.bash", &bash.whole);
        let script = write(&home, "script.bash", &bash.script);
        passes(
            run(&home, "shellcheck", &["--shell=bash"], &whole),
            &format!("shellcheck, bash {args:?}"),
        );
        passes(
            run(&home, "shfmt", &[&SHFMT[..], &["-d"]].concat(), &script),
            &format!("shfmt {} -d, bash {args:?}", SHFMT.join(" ")),
        );

        let zsh = render(&home, "zsh", args);
        let whole = write(&home, "init.zsh", &zsh.whole);
        passes(
            run(&home, "zsh", &["-f", "-n"], &whole),
            &format!("zsh -n, zsh {args:?}"),
        );

        let fish = render(&home, "fish", args);
        let whole = write(&home, "init.fish", &fish.whole);
        let script = write(&home, "script.fish", &fish.script);
        passes(
            run(&home, "fish", &["--no-config", "-n"], &whole),
            &format!("fish -n, fish {args:?}"),
        );
        passes(
            run(&home, "fish_indent", &["--check"], &script),
            &format!("fish_indent --check, fish {args:?}"),
        );
    }
}

#[test]
fn the_thresholds_come_from_the_binary_and_every_option_is_read() {
    let home = Home::new();
    let bash = render(&home, "bash", &[]);
    let value = |name: &str| {
        bash.options
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", bash.options))
            .1
            .clone()
    };
    let thresholds = [value("__awsenv_soon"), value("__awsenv_default_margin")];
    assert_eq!(thresholds, ["900", "300"]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        for args in OPTIONS {
            let rendered = render(&home, shell, args);
            for (name, _) in &rendered.options {
                assert!(
                    rendered.script.contains(name.as_str()),
                    "{shell} {args:?}: {name} is set and never read"
                );
            }
            for number in &thresholds {
                let repeated = rendered
                    .script
                    .match_indices(number.as_str())
                    .any(|(at, _)| {
                        let digit = |b: Option<&u8>| b.is_some_and(u8::is_ascii_digit);
                        let bytes = rendered.script.as_bytes();
                        !digit(at.checked_sub(1).and_then(|i| bytes.get(i)))
                            && !digit(bytes.get(at + number.len()))
                    });
                assert!(
                    !repeated,
                    "{shell} {args:?}: the script says {number} itself"
                );
            }
        }
    }
}

/// One prompt's state for the errexit/nounset run, and the segment it shows without colours:
/// no account; 12 hours left (a whole hour once ended the shell: an arithmetic command of
/// value 0 fails); 10 minutes; credentials gone, as the hook leaves an ended session.
const STATES: [(&str, &str); 4] = [
    ("", ""),
    (
        "AWSENV_ACCOUNT=personal AWS_ACCESS_KEY_ID=ASIAEXAMPLE \
         __awsenv_exp=$((EPOCHSECONDS + 43200))",
        "personal 12h",
    ),
    (
        "AWSENV_ACCOUNT=personal AWS_ACCESS_KEY_ID=ASIAEXAMPLE \
         __awsenv_exp=$((EPOCHSECONDS + 600))",
        "personal 10m",
    ),
    ("AWSENV_ACCOUNT=personal", "personal expired"),
];

#[test]
fn every_rendered_script_loads_and_prompts_under_errexit_and_nounset() {
    let home = Home::new();
    for args in OPTIONS {
        for shell in ["bash", "zsh"] {
            let rendered = render(&home, shell, args);
            let file = write(&home, &format!("init.{shell}"), &rendered.whole);
            for (state, shown) in STATES {
                let mut script = String::new();
                if shell == "zsh" {
                    // So that the completion part runs too (compinit is not ours to check).
                    script.push_str("autoload -Uz compinit && compinit -u -D\nset -e -u\n");
                }
                script.push_str(&format!("source '{}'\n", file.display()));
                // The hook's next check is an hour away and its file exists: the builtins
                // decide alone, as at most prompts.
                script.push_str(&format!(
                    "{state}\n__awsenv_next=$((EPOCHSECONDS + 3600)) __awsenv_margin=300 \
                     __awsenv_file='{}'\n",
                    file.display()
                ));
                script.push_str("true\n__awsenv_hook\nprintf '<%s>' \"$AWSENV_PROMPT\"\n");
                let mut cmd = home.command(shell);
                match shell {
                    "bash" => cmd.args(["--norc", "--noprofile", "-e", "-u", "-c", &script]),
                    _ => cmd.args(["-f", "-c", &script]),
                };
                let out = home.output(cmd.output().unwrap(), true);
                let what = format!("{shell} {args:?} with {state:?}");
                assert_eq!(out.stderr, "", "{what}");
                assert_eq!(out.code, Some(0), "{what}: {}", out.stdout);
                assert_eq!(out.stdout, format!("<{shown}>"), "{what}");
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colour {
    Plain,
    Green,
    Yellow,
    Red,
}
use Colour::*;

/// A name with a `%`, which zsh's prompt must be told is not an escape.
const ACCOUNT: &str = "team%ops";
/// Not the default margin, so that a script that ignored the hook's shows.
const MARGIN: i64 = 120;

/// Seconds left (None: the credentials were cleared) and the segment's span and colour:
/// both sides of the two edges, yellow 15 minutes (`SOON`) before the end and red inside the
/// margin, and the end.
const TABLE: [(Option<i64>, &str, Colour); 13] = [
    (Some(43200), "12h", Green),
    (Some(3900), "1h05m", Green),
    (Some(901), "15m", Green),
    (Some(900), "15m", Yellow),
    (Some(899), "15m", Yellow),
    (Some(121), "2m", Yellow),
    (Some(120), "2m", Red),
    (Some(119), "2m", Red),
    (Some(59), "59s", Red),
    (Some(1), "1s", Red),
    (Some(0), "expired", Red),
    (Some(-60), "expired", Red),
    (None, "expired", Red),
];

/// The environments that decide on colours, and whether each means colours.
const COLOURING: [(&[(&str, &str)], bool); 7] = [
    (&[("TERM", "xterm")], true),
    (&[("TERM", "xterm"), ("NO_COLOR", "1")], false),
    (&[("TERM", "xterm"), ("NO_COLOR", "")], true),
    (&[("TERM", "xterm"), ("AWSENV_COLORS", "0")], false),
    (&[("TERM", "dumb")], false),
    (&[("TERM", "dumb"), ("AWSENV_COLORS", "1")], true),
    (&[], false),
];

/// The clock the builtins are given: any second will do.
const NOW: i64 = 2_000_000_000;

/// How each output marks a colour: what opens it (around the SGR sequence) and what ends it.
#[derive(Debug, Clone, Copy)]
enum Marks {
    /// Plain ANSI: fish, `awsenv prompt`.
    Ansi,
    /// bash's PS1, with readline's \001..\002 around what takes no room.
    Bash,
    /// What zsh shows for its prompt escapes (%F{..}, %f, %%), expanded with ${(%)..}.
    Zsh,
}

/// The text and colour a segment shows, checking that nothing else is in it.
fn decode(shown: &str, marks: Marks) -> (String, Colour) {
    let (open, close, reset) = match marks {
        Marks::Ansi => ("", "", "\x1b[0m"),
        Marks::Bash => ("\x01", "\x02", "\x01\x1b[0m\x02"),
        Marks::Zsh => ("", "", "\x1b[39m"),
    };
    let (text, colour) = [("31", Red), ("32", Green), ("33", Yellow)]
        .into_iter()
        .find_map(|(code, colour)| {
            let text = shown
                .strip_prefix(&format!("{open}\x1b[{code}m{close}"))?
                .strip_suffix(reset)
                .unwrap_or_else(|| panic!("{marks:?}: not closed: {shown:?}"));
            Some((text, colour))
        })
        .unwrap_or((shown, Plain));
    assert!(
        !text.chars().any(char::is_control),
        "{marks:?}: more than a colour: {shown:?}"
    );
    (text.to_owned(), colour)
}

fn lines(out: Out, what: &str) -> Vec<String> {
    assert_eq!(out.code, Some(0), "{what}: {}{}", out.stdout, out.stderr);
    let lines: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), TABLE.len(), "{what}: {}", out.stdout);
    lines
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Gives `f` the current second and returns what it made, once a run has ended within that
/// second: the binary reads the clock itself, and the table's edges are a second wide.
fn within_one_second<T>(f: impl Fn(i64) -> T) -> T {
    for _ in 0..10 {
        let into = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        if into > 300 {
            std::thread::sleep(Duration::from_millis(u64::from(1005 - into)));
        }
        let second = now();
        let made = f(second);
        if now() == second {
            return made;
        }
    }
    panic!("ten runs in a row took longer than their second");
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn spawn(home: &Home, shell: &str, script: &str, env: &[(&str, &str)]) -> Child {
    let mut cmd: Command = home.command(shell);
    match shell {
        "bash" => cmd.args(["--norc", "--noprofile", "-c", script]),
        "zsh" => cmd.args(["-f", "-c", script]),
        _ => cmd.args(["--no-config", "-c", script]),
    };
    cmd.env("AWSENV_ACCOUNT", ACCOUNT)
        .env("AWSENV_EXPIRY_MARGIN", MARGIN.to_string())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(home: &Home, child: Child) -> Out {
    home.output(child.wait_with_output().unwrap(), true)
}

/// What bash, zsh and fish compute with builtins alone, from the hook's state at the clock NOW.
fn builtins(shell: &str, key: &str) -> String {
    let print = match shell {
        "bash" => "printf '%s\\n' \"$AWSENV_PROMPT\"",
        "zsh" => "print -r -- \"${(%)AWSENV_PROMPT}\"",
        _ => "printf '%s\\n' \"$AWSENV_PROMPT\"",
    };
    let mut script = match shell {
        "fish" => {
            format!("awsenv init fish | source; or exit 1\nset -g __awsenv_margin {MARGIN}\n")
        }
        _ => format!("eval \"$(awsenv init {shell})\" || exit\n__awsenv_margin={MARGIN}\n"),
    };
    for (left, _, _) in TABLE {
        let state = match (left, shell) {
            (Some(left), "fish") => format!(
                "set -g AWS_ACCESS_KEY_ID {key}; set -g __awsenv_exp {}",
                NOW + left
            ),
            (None, "fish") => "set -e AWS_ACCESS_KEY_ID __awsenv_exp".to_owned(),
            (Some(left), _) => format!("AWS_ACCESS_KEY_ID={key} __awsenv_exp={}", NOW + left),
            (None, _) => "unset AWS_ACCESS_KEY_ID __awsenv_exp".to_owned(),
        };
        script.push_str(&format!("{state}\n__awsenv_segment {NOW}\n{print}\n"));
    }
    script
}

/// What the binary says at the current second `now`, to a shell without a clock (bash, zsh:
/// `awsenv hook SHELL --segment`, and after it `awsenv prompt` in bash; fish before 3.6,
/// through its own hook, which then asks the binary).
fn through_the_binary(shell: &str, key: &str, now: i64) -> String {
    let mut script = match shell {
        "fish" => "awsenv init fish | source; or exit 1\n\
                   function __awsenv_clock; set -g __awsenv_now; end\n"
            .to_owned(),
        _ => String::new(),
    };
    for (left, _, _) in TABLE {
        let credentials = match (left, shell) {
            (Some(left), "fish") => format!(
                "set -gx AWS_ACCESS_KEY_ID {key}; set -gx AWS_CREDENTIAL_EXPIRATION {}",
                rfc3339(now + left)
            ),
            (None, "fish") => "set -e AWS_ACCESS_KEY_ID AWS_CREDENTIAL_EXPIRATION".to_owned(),
            (Some(left), _) => format!(
                "export AWS_ACCESS_KEY_ID={key} AWS_CREDENTIAL_EXPIRATION={}",
                rfc3339(now + left)
            ),
            (None, _) => "unset AWS_ACCESS_KEY_ID AWS_CREDENTIAL_EXPIRATION".to_owned(),
        };
        let segment = match shell {
            "bash" => {
                "command awsenv prompt\neval \"$(command awsenv hook bash --segment)\"\n\
                 printf '%s\\n' \"$AWSENV_PROMPT\""
            }
            "zsh" => {
                "eval \"$(command awsenv hook zsh --segment)\"\n\
                 print -r -- \"${(%)AWSENV_PROMPT}\""
            }
            _ => "__awsenv_hook\nprintf '%s\\n' \"$AWSENV_PROMPT\"",
        };
        script.push_str(&format!("{credentials}\n{segment}\n"));
    }
    script
}

#[test]
fn bash_zsh_fish_and_the_binary_count_down_alike() {
    // The hook needs the account's cache file; an old session there never replaces ours.
    let home = Home::new();
    let user = moto().user(true);
    home.user_account(ACCOUNT, &user);
    home.run(&["mfa", ACCOUNT, "--code", &moto().code(&user)])
        .ok();
    let file = std::fs::read_dir(home.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a cache file");
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    cached["expiration"] = time_in(-3600).into();
    std::fs::write(&file, cached.to_string()).unwrap();
    let key = cached["access_key_id"].as_str().unwrap().to_owned();

    for (env, coloured) in COLOURING {
        let built = ["bash", "zsh", "fish"].map(|sh| spawn(&home, sh, &builtins(sh, &key), env));
        let [bash, zsh, fish] = built.map(|child| finish(&home, child));
        let (bash, zsh, fish) = (lines(bash, "bash"), lines(zsh, "zsh"), lines(fish, "fish"));
        let [bash_bin, zsh_bin, fish_bin] = within_one_second(|now| {
            ["bash", "zsh", "fish"]
                .map(|sh| spawn(&home, sh, &through_the_binary(sh, &key, now), env))
                .map(|child| finish(&home, child))
        });
        let bash_bin = bash_bin.stdout.lines().collect::<Vec<_>>();
        assert_eq!(bash_bin.len(), 2 * TABLE.len(), "{env:?}: {bash_bin:?}");
        let prompt: Vec<&str> = bash_bin.iter().copied().step_by(2).collect();
        let bash_bin: Vec<&str> = bash_bin.iter().copied().skip(1).step_by(2).collect();
        let (zsh_bin, fish_bin) = (lines(zsh_bin, "zsh"), lines(fish_bin, "fish"));

        for (row, (left, span, colour)) in TABLE.iter().enumerate() {
            let expected = (
                format!("{ACCOUNT} {span}"),
                if coloured { *colour } else { Plain },
            );
            for (who, shown, marks) in [
                ("bash", bash[row].as_str(), Marks::Bash),
                ("zsh", zsh[row].as_str(), Marks::Zsh),
                ("awsenv hook bash --segment", bash_bin[row], Marks::Bash),
                (
                    "awsenv hook zsh --segment",
                    zsh_bin[row].as_str(),
                    Marks::Zsh,
                ),
                ("fish", fish[row].as_str(), Marks::Ansi),
                (
                    "awsenv hook fish --segment",
                    fish_bin[row].as_str(),
                    Marks::Ansi,
                ),
                ("awsenv prompt", prompt[row], Marks::Ansi),
            ] {
                assert_eq!(
                    decode(shown, marks),
                    expected,
                    "{who}, {left:?} s left, {env:?}: {shown:?}"
                );
            }
            // Where they are meant to be the same bytes, they are.
            assert_eq!(bash[row], bash_bin[row], "bash, {left:?} s left, {env:?}");
            assert_eq!(zsh[row], zsh_bin[row], "zsh, {left:?} s left, {env:?}");
            assert_eq!(fish[row], fish_bin[row], "fish, {left:?} s left, {env:?}");
            assert_eq!(fish_bin[row], prompt[row], "fish, {left:?} s left, {env:?}");
        }
    }
}
