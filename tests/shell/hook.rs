//! The prompt hook: silent and process-free while nothing changes (and so is the pre-command
//! hook), and at the next prompt after something did: expiry, logout in another terminal, a
//! newer session from another.

use crate::support::moto;
use crate::{ALL, Rc, Sh, Shim, Terminal, alice_home, terminal_with_ended_session};
use std::time::Duration;

#[test]
fn steady_state_prompts_and_commands_start_no_awsenv_process() {
    for sh in ALL {
        let (home, alice) = alice_home();
        let shim = Shim::new(&home);
        let rc = Rc {
            before: &shim.rc_line(sh),
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, sh, &rc);
        t.switch_with_mfa("alice", &alice);
        assert_eq!(t.next_prompt(), "alice 12h");
        // The pre-command hook is there, and would run at each command line.
        let installed = match sh {
            Sh::Bash => t.run("trap -p DEBUG"),
            Sh::Zsh => t.run("print -r -- $preexec_functions"),
            Sh::Fish => t.run("functions --handlers-type generic"),
        };
        let ours = match sh {
            Sh::Bash => "__awsenv_debug",
            _ => "__awsenv_preexec",
        };
        assert!(installed.contains(ours), "{sh:?}: {installed}");
        let starts = shim.starts();
        assert!(
            starts.iter().any(|s| s.starts_with("[init]")),
            "the shim sees awsenv: {starts:?}"
        );
        for _ in 0..20 {
            t.run("true; true");
            assert_eq!(t.prompt(), "alice 12h", "{sh:?}");
        }
        assert_eq!(
            shim.starts(),
            starts,
            "{sh:?}: 20 command lines and 40 prompts started awsenv"
        );
    }
}

/// fish before 3.6 has no `path mtime`, and so no clock: as if so, each prompt and each
/// command line asks the binary, which paints the segment.
#[test]
fn fish_without_a_clock_asks_the_binary_at_each_prompt_and_command_line() {
    let (home, alice) = alice_home();
    let shim = Shim::new(&home);
    let rc = Rc {
        before: &shim.rc_line(Sh::Fish),
        after: "function __awsenv_clock; set -g __awsenv_now; end",
        ..Rc::default()
    };
    let mut t = Terminal::start_with(&home, Sh::Fish, &rc);
    t.switch_with_mfa("alice", &alice);
    assert_eq!(t.next_prompt(), "alice 12h");
    let from = shim.starts().len();
    for _ in 0..3 {
        t.run("true; true");
        assert_eq!(t.prompt(), "alice 12h");
    }
    let each = [
        "[hook][fish][--before-command]",
        "[hook][fish][--segment]",
        "[hook][fish][--segment]",
    ];
    assert_eq!(shim.starts()[from..], each.repeat(3));
}

#[test]
fn an_expired_session_is_cleared_at_the_next_prompt() {
    for sh in ALL {
        let (_home, _, mut t) = terminal_with_ended_session(sh, "");
        t.pty.send("\n");
        let said = t.pty.wait_for("PROMPT> ");
        assert!(
            said.contains("awsenv: alice: session expired; run awsenv switch alice"),
            "{sh:?}: {said}"
        );
        assert!(said.contains("alice expired"), "{sh:?}: {said}");
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "", "{sh:?}: stale keys must go");
        assert_eq!(t.var("AWS_SESSION_TOKEN"), "", "{sh:?}");
        // Said once, not at every prompt.
        let again = t.prompt();
        assert_eq!(again, "alice expired", "{sh:?}");
        let now = t.run("awsenv now");
        assert!(
            now.contains("expired: run awsenv switch alice"),
            "{sh:?}: {now}"
        );
    }
}

#[test]
fn logout_in_another_terminal_clears_this_one_at_its_next_prompt() {
    for sh in ALL {
        let (home, alice) = alice_home();
        let mut t = Terminal::start(&home, sh);
        let before = t.awsenv_vars();
        t.switch_with_mfa("alice", &alice);
        t.next_prompt();
        home.run(&["logout", "alice"]).ok();
        t.pty.send("\n");
        let said = t.pty.wait_for("PROMPT> ");
        assert!(
            said.contains("awsenv: alice: cached session removed by awsenv logout"),
            "{sh:?}: {said}"
        );
        let line = said.rsplit(['\n', '\r']).next().unwrap();
        assert_eq!(line, "PROMPT> ", "{sh:?}: the same prompt has no segment");
        assert_eq!(t.awsenv_vars(), before, "{sh:?}");
        assert_eq!(t.prompt(), "", "{sh:?}");
    }
}

#[test]
fn a_newer_session_from_another_terminal_replaces_one_that_is_ending() {
    for sh in ALL {
        let (home, alice) = alice_home();
        // With a 15 minute session and a margin of 14m57s, this one ends in 3 s.
        let rc = Rc {
            env: &[("AWSENV_EXPIRY_MARGIN", "897")],
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, sh, &rc);
        let code = moto().code(&alice);
        t.run(&format!("awsenv switch alice --duration 15m --code {code}"));
        let ours = t.var("AWS_ACCESS_KEY_ID");
        home.run(&["mfa", "alice", "--code", &code, "--duration", "1h"])
            .ok();
        let newer = home.read_cache("alice")["access_key_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(ours, newer);
        std::thread::sleep(Duration::from_secs(4));
        t.pty.send("\n");
        let said = t.pty.wait_for("PROMPT> ");
        assert!(
            said.contains("awsenv: alice: using the session made in another terminal, 1h left"),
            "{sh:?}: {said}"
        );
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), newer, "{sh:?}");
        assert_eq!(t.var("AWS_REGION"), "eu-west-1", "{sh:?}");
    }
}

#[test]
fn the_segment_is_coloured_unless_told_not_to() {
    let (home, alice) = alice_home();
    for (env, coloured) in [
        (vec![("TERM", "xterm")], true),
        (vec![("TERM", "xterm"), ("NO_COLOR", "1")], false),
        (vec![("TERM", "xterm"), ("AWSENV_COLORS", "0")], false),
        (vec![("TERM", "dumb"), ("AWSENV_COLORS", "1")], true),
    ] {
        for sh in ALL {
            let rc = Rc {
                env: &env,
                ..Rc::default()
            };
            let mut t = Terminal::start_with(&home, sh, &rc);
            t.run(&format!(
                "awsenv switch alice --code {}",
                moto().code(&alice)
            ));
            let line = t.prompt();
            assert!(line.contains("alice 12h"), "{sh:?} {env:?}: {line:?}");
            assert_eq!(
                line.contains("\x1b[32m"),
                coloured,
                "{sh:?} {env:?}: {line:?}"
            );
        }
    }
}

#[test]
fn the_prompt_engine_segment_matches_the_shells() {
    let (home, alice) = alice_home();
    home.run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    let out = home
        .bash("eval \"$(awsenv switch alice)\" && NO_COLOR=1 awsenv prompt && AWSENV_COLORS=1 awsenv prompt")
        .ok();
    assert_eq!(out.stdout, "alice 12h\n\x1b[32malice 12h\x1b[0m\n");
    assert_eq!(
        home.run(&["prompt"]).ok().stdout,
        "",
        "nothing without an account"
    );
}
