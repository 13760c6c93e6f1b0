//! TAB completion in each shell, through the registration `awsenv init` includes, and the
//! checked-in completion files kept current.

use crate::support::{Home, REPO, moto};
use crate::{ALL, Sh, Terminal};

#[test]
fn tab_completes_account_names_in_every_shell() {
    let home = Home::new();
    home.user_account("personal", &moto().user(false))
        .user_account("work", &moto().user(false));
    for sh in ALL {
        let mut t = Terminal::start(&home, sh);
        t.pty.send("awsenv switch pers\t");
        t.pty.wait_for("awsenv switch personal");
        t.pty.send("\n");
        t.pty.wait_for("awsenv: personal: ");
        assert_eq!(t.next_prompt(), "personal 12h", "{sh:?}");
        t.pty.send("awsenv logo\t");
        t.pty.wait_for("awsenv logout");
        t.pty.send("\n");
        t.pty.wait_for("awsenv: personal: cached session removed");
        t.next_prompt();
    }
}

#[test]
fn checked_in_completions_are_current() {
    let home = Home::new();
    for (shell, file) in [
        ("bash", "awsenv.bash"),
        ("zsh", "_awsenv"),
        ("fish", "awsenv.fish"),
        ("powershell", "awsenv.ps1"),
    ] {
        let generated = home.run(&["completions", shell]).ok().stdout;
        let path = std::path::Path::new(REPO).join("completions").join(file);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            generated == checked_in,
            "{} is out of date: run `awsenv completions {shell} > completions/{file}`",
            path.display()
        );
    }
}

/// Account names that are shell code when a completion inserts them as they are, each with
/// what is typed before TAB and a piece of text the completed line then shows. The first four
/// would create a file in the home (the terminal's directory is inside it).
const HOSTILE: [(&str, &str, &str); 6] = [
    ("zse", "zsemi", "zsemi;touch ../semi"),
    ("zdo", "zdollar", "zdollar$(touch ../dollar)"),
    ("zbt", "zbtick", "zbtick`touch ../btick`"),
    ("zam", "zamp", "zamp&touch ../amp"),
    ("zqu", "zquote", "zquote'\"x y"),
    // With a file `zstar-file` in the directory, a glob would complete to that file.
    ("zst", "zstar", "zstar*"),
];

const PLANTED: [&str; 4] = ["semi", "dollar", "btick", "amp"];

fn hostile_home() -> Home {
    let home = Home::new();
    for (_, _, name) in HOSTILE {
        home.user_account(name, &moto().user(false));
    }
    home
}

/// Types `awsenv switch {typed}`, TAB, and runs the completed line: the account switched to
/// must be `name`, whole, and nothing in it may have run.
fn complete_and_switch(
    home: &Home,
    t: &mut Terminal,
    sh: Sh,
    typed: &str,
    shown: &str,
    name: &str,
) {
    t.pty.send(&format!("awsenv switch {typed}\t"));
    t.pty.wait_for(shown);
    let out = t.run("");
    for file in PLANTED {
        assert!(
            !home.dir.join(file).exists(),
            "{sh:?}: completing {name:?} ran its code:\n{out}"
        );
    }
    assert!(
        out.contains(&format!("awsenv: {name}: ")),
        "{sh:?}: {name:?} did not arrive whole:\n{out}"
    );
    assert_eq!(t.var("AWSENV_ACCOUNT"), name, "{sh:?}");
}

#[test]
fn tab_completion_quotes_account_names_in_every_shell() {
    let home = hostile_home();
    for sh in ALL {
        let mut t = Terminal::start(&home, sh);
        t.run("touch zstar-file");
        for (typed, shown, name) in HOSTILE {
            complete_and_switch(&home, &mut t, sh, typed, shown, name);
        }
    }
}

#[test]
fn bash_completion_quotes_names_after_an_open_quote() {
    let home = hostile_home();
    let mut t = Terminal::start(&home, Sh::Bash);
    t.run("touch zstar-file");
    for (typed, shown, name) in HOSTILE {
        for quote in ["'", "\""] {
            let typed = format!("{quote}{typed}");
            complete_and_switch(&home, &mut t, Sh::Bash, &typed, shown, name);
        }
    }
}

#[test]
fn bash_completes_again_after_a_quoted_common_prefix() {
    let home = Home::new();
    home.user_account("zmulti;alpha", &moto().user(false))
        .user_account("zmulti;beta", &moto().user(false));
    let mut t = Terminal::start(&home, Sh::Bash);
    // The first TAB inserts what both share (`zmulti\;`), the second must read it back.
    // Readline rings the bell (before the text it inserts) when the choice is not made.
    t.pty.send("awsenv switch zmu\t");
    t.pty.wait_for("lti");
    t.pty.send("a\t");
    t.pty.wait_for("lpha");
    let out = t.run("");
    assert!(out.contains("awsenv: zmulti;alpha: "), "{out}");
}

/// Names with every kind of character a config line can hold in a section header.
const ODD: [&str; 12] = [
    "zsemi;touch x",
    "zdollar$(touch x)",
    "zbtick`touch x`",
    "zamp&x|y<z>w",
    "zquote'\"x y",
    "zstar*?{a,b}",
    "zbang!!x",
    "~ztilde",
    "ztab\tx",
    "zvt\u{b}x",
    "zcr\rx",
    "zsmart\u{2018}x\u{2019}\u{201c}y\u{201d}",
];

/// What `COMPLETE=SHELL awsenv -- awsenv switch ''` answers, one candidate a line.
fn candidates(home: &Home, shell: &str, env: &[(&str, &str)]) -> Vec<String> {
    let mut cmd = home.awsenv(&["--", "awsenv", "switch", ""]);
    cmd.env("COMPLETE", shell).env("_CLAP_COMPLETE_INDEX", "2");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = home.output(cmd.output().unwrap(), true).ok();
    // Options come too, the word being empty.
    out.stdout
        .lines()
        .filter(|l| !l.starts_with('-'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_candidates_read_back_as_the_names() {
    let home = Home::new();
    for name in ODD {
        home.profile(name, &[("region", "eu-west-1")]);
    }
    // As readline puts them in after an open quote: in place of it if they start with it,
    // else after it, closing it unless they end with it.
    for quote in ["", "'", "\""] {
        let lines = candidates(&home, "bash", &[("_AWSENV_QUOTE", quote)]);
        assert_eq!(lines.len(), ODD.len(), "{quote}: {lines:?}");
        for line in &lines {
            let word = if quote.is_empty() || line.starts_with(quote) {
                line.clone()
            } else if line.ends_with(quote) {
                format!("{quote}{line}")
            } else {
                format!("{quote}{line}{quote}")
            };
            let script = format!("cd ~ || exit\nset -- {word}\nprintf '%s\\0' \"$#\" \"$1\"");
            let out = home.bash(&script);
            let read: Vec<&str> = out.stdout.split('\0').collect();
            assert_eq!(read[0], "1", "{word:?} is not one word: {}", out.stderr);
            assert!(ODD.contains(&read[1]), "{word:?} reads as {:?}", read[1]);
            // A readline that kept the open quote would leave it broken, not run.
            home.bash(&format!("cd ~ || exit\nset -- {quote}{line}"));
        }
    }
    assert!(!home.dir.join("x").exists(), "a candidate ran code");
}

#[test]
fn powershell_candidates_are_quoted() {
    let home = Home::new();
    for name in ODD.iter().chain(&["zplain-name_1.2"]) {
        home.profile(name, &[("region", "eu-west-1")]);
    }
    let mut lines = candidates(&home, "powershell", &[]);
    lines.sort();
    let mut expected = [
        "'zsemi;touch x'",
        "'zdollar$(touch x)'",
        "'zbtick`touch x`'",
        "'zamp&x|y<z>w'",
        "'zquote''\"x y'",
        "'zstar*?{a,b}'",
        "'zbang!!x'",
        "'~ztilde'",
        "\"ztab$([char]9)x\"",
        "\"zvt$([char]11)x\"",
        "\"zcr$([char]13)x\"",
        "'zsmart\u{2018}\u{2018}x\u{2019}\u{2019}\u{201c}y\u{201d}'",
        "zplain-name_1.2",
    ];
    expected.sort();
    assert_eq!(lines, expected);
}
