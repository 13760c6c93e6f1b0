//! A day with awsenv in each shell: switch with an MFA code, use the AWS CLI, watch the
//! prompt, open a second terminal, clear.

use crate::support::moto;
use crate::{ALL, Rc, Sh, Terminal, alice_home, terminal_with_ended_session};

#[test]
fn switch_use_and_clear_in_every_shell() {
    for sh in ALL {
        let (home, alice) = alice_home();
        let mut t = Terminal::start(&home, sh);
        let before = t.awsenv_vars();
        assert!(t.prompt().is_empty(), "{sh:?}: no segment before a switch");

        t.switch_with_mfa("alice", &alice);
        assert_eq!(t.next_prompt(), "alice 12h", "{sh:?}");
        let arn = t.run("aws sts get-caller-identity --query Arn --output text");
        assert!(arn.contains(&alice.arn), "{sh:?}: {arn}");
        assert_eq!(t.var("AWS_REGION"), "eu-west-1", "{sh:?}");
        assert_eq!(t.var("AWSENV_ACCOUNT"), "alice", "{sh:?}");

        let now = t.run("awsenv now");
        assert!(now.contains("kind      MFA session"), "{sh:?}: {now}");

        t.run("awsenv clear");
        assert_eq!(
            t.awsenv_vars(),
            before,
            "{sh:?}: clear leaves nothing behind"
        );
        assert!(t.prompt().is_empty(), "{sh:?}");
    }
}

#[test]
fn a_second_terminal_switches_without_a_prompt() {
    for sh in ALL {
        let (home, alice) = alice_home();
        let mut first = Terminal::start(&home, sh);
        first.switch_with_mfa("alice", &alice);
        let mut second = Terminal::start(&home, sh);
        let out = second.run("awsenv switch alice");
        assert!(
            out.contains("awsenv: alice: using cached MFA session, 12h left"),
            "{sh:?}: {out}"
        );
        assert!(!out.contains("MFA code"), "{sh:?}");
        assert_eq!(
            second.var("AWS_ACCESS_KEY_ID"),
            first.var("AWS_ACCESS_KEY_ID")
        );
        assert_eq!(second.prompt(), "alice 12h", "{sh:?}");
        assert_eq!(moto().calls_by(&alice.access_key_id), ["GetSessionToken"]);
    }
}

#[test]
fn the_status_of_the_last_command_survives_the_hook() {
    for sh in ALL {
        let (home, _) = alice_home();
        let bob = moto().user(false);
        home.user_account("bob", &bob);
        let mut t = Terminal::start(&home, sh);
        t.run("awsenv switch bob");
        // The hook runs at the prompt between `false` and the echo.
        t.pty.send("false\n");
        t.next_prompt();
        let status = match sh {
            Sh::Fish => t.run("echo status=$status"),
            _ => t.run("echo status=$?"),
        };
        assert!(status.contains("status=1"), "{sh:?}: {status}");
    }
}

#[test]
fn bash_and_zsh_integration_survives_nounset_and_a_second_init() {
    for (sh, strict) in [(Sh::Bash, "set -u"), (Sh::Zsh, "setopt nounset")] {
        let (home, alice) = alice_home();
        let again = match sh {
            Sh::Bash => "eval \"$(awsenv init bash)\"",
            _ => "eval \"$(awsenv init zsh)\"",
        };
        let rc = Rc {
            before: strict,
            after: again,
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, sh, &rc);
        t.switch_with_mfa("alice", &alice);
        assert_eq!(t.next_prompt(), "alice 12h", "{sh:?}");
        let hooks = match sh {
            Sh::Bash => t.run("echo \"$PROMPT_COMMAND\""),
            _ => t.run("echo \"${precmd_functions[*]}\""),
        };
        assert_eq!(hooks.matches("__awsenv_hook").count(), 1, "{sh:?}: {hooks}");
        t.run("awsenv clear");
        assert!(t.prompt().is_empty());
    }
}

#[test]
fn bash_prompt_command_as_array_or_string_before_or_after_others() {
    let (home, alice) = alice_home();
    let cases = [
        ("PROMPT_COMMAND=(other_hook)", ""),
        ("PROMPT_COMMAND='other_hook'", ""),
        ("", "PROMPT_COMMAND=\"other_hook;$PROMPT_COMMAND\""),
    ];
    for (before, after) in cases {
        let before =
            format!("other_hook() {{ OTHER_SAW=\"${{AWSENV_ACCOUNT-none}}\"; }}\n{before}");
        let rc = Rc {
            before: &before,
            after,
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, Sh::Bash, &rc);
        t.switch_with_mfa("alice", &alice);
        assert_eq!(t.next_prompt(), "alice 12h", "{before} / {after}");
        assert_eq!(t.var("OTHER_SAW"), "alice", "the other hook still runs");
        home.run(&["logout", "--all"]).ok();
    }
}

#[test]
fn the_aws_wrapper_renews_an_ending_session_first() {
    for sh in ALL {
        let (_home, alice, mut t) = terminal_with_ended_session(sh, "--aws-wrapper");
        t.pty
            .send("aws sts get-caller-identity --query Arn --output text\n");
        t.pty.wait_for("MFA code for alice (");
        t.pty.wait_for("): ");
        t.pty.send(&format!("{}\n", moto().code(&alice)));
        let out = t.pty.wait_for(&alice.arn);
        assert!(out.contains("alice: new MFA session"), "{sh:?}: {out}");
        assert_eq!(
            moto().calls_by(&alice.access_key_id),
            ["GetSessionToken", "GetSessionToken"]
        );
    }
}

#[test]
fn awsenv_shell_opens_a_subshell_with_the_session_and_leaves_the_parent_alone() {
    for (sh, program) in [
        (Sh::Bash, "/bin/bash"),
        (Sh::Zsh, "/usr/bin/zsh"),
        (Sh::Fish, "/usr/bin/fish"),
    ] {
        let home = crate::support::Home::new();
        let bob = moto().user(false);
        home.user_account("bob", &bob);
        // The user's own rc files, which the sub-shell runs before the integration.
        std::fs::write(home.dir.join(".bashrc"), "PS1='PROMPT> '\n").unwrap();
        let fish = home.dir.join(".config/fish");
        std::fs::create_dir_all(&fish).unwrap();
        std::fs::write(
            fish.join("config.fish"),
            "function fish_prompt; printf 'PROMPT> '; end\n",
        )
        .unwrap();
        let rc = Rc {
            env: &[("SHELL", program)],
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, sh, &rc);
        t.pty.send("awsenv shell bob\n");
        t.pty
            .wait_for("awsenv: bob: new session (no MFA), 12h; exit the shell to leave it");
        assert_eq!(
            t.next_prompt(),
            "bob 12h",
            "{sh:?}: the segment, without init in the rc"
        );
        assert_eq!(t.var("AWSENV_ACCOUNT"), "bob", "{sh:?}");
        let arn = t.run("aws sts get-caller-identity --query Arn --output text");
        assert!(arn.contains(&bob.arn), "{sh:?}: {arn}");
        t.pty.send("exit\n");
        // (fish repaints its prompt on the way out: wait for the parent's answer instead.)
        assert_eq!(
            t.var("AWSENV_ACCOUNT"),
            "",
            "{sh:?}: the parent is untouched"
        );
        assert_eq!(t.var("AWS_SESSION_TOKEN"), "", "{sh:?}");
        assert_eq!(t.prompt(), "", "{sh:?}: the parent's prompt has no segment");
        let leftovers: Vec<_> = std::fs::read_dir(home.cache_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with("zsh-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{sh:?}: zsh's one-time ZDOTDIR is gone"
        );
    }
}
