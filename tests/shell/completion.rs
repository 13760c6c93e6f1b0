//! TAB completion in each shell, through the registration `awsenv init` includes, and the
//! checked-in completion files kept current.

use crate::support::{Home, REPO, moto};
use crate::{ALL, Terminal};

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
