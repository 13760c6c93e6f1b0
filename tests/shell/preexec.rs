//! The pre-command hook: right before a command line runs, the prompt's check once more, and
//! when the session is due, one `awsenv hook SHELL --before-command`: once per command line,
//! never for a prompt alone. In bash it lives beside whatever else uses the DEBUG trap, PS0
//! and bash-preexec.

use crate::{ALL, Rc, Sh, Shim, Terminal, alice_home};
use std::path::Path;

/// Rc lines that leave the session due at every prompt while `flag` exists, after the prompt
/// hook has run: as if the prompt had been left open until the session entered its margin.
/// And a count of the checks, in `__checks`: the binary, once run, makes the session current,
/// so its starts alone would not show a check made at every simple command. fish's handler
/// of fish_prompt would run after ours only until the script is sourced again: the user's
/// prompt, which our fish_prompt calls last, makes the session due instead.
fn due_while(sh: Sh, flag: &Path) -> String {
    let flag = flag.display();
    match sh {
        Sh::Bash => format!(
            "__test_due() {{ [[ ! -e '{flag}' ]] || __awsenv_next=0; }}\n\
             PROMPT_COMMAND+=';__test_due'\n\
             eval \"__counted$(declare -f __awsenv_preexec)\"\n\
             __awsenv_preexec() {{ __checks=$((${{__checks-0}} + 1)); __counted__awsenv_preexec; }}"
        ),
        Sh::Zsh => format!(
            "__test_due() {{ [[ ! -e '{flag}' ]] || __awsenv_next=0 }}\n\
             precmd_functions+=(__test_due)\n\
             functions -c __awsenv_preexec __counted_preexec\n\
             __awsenv_preexec() {{ __checks=$((${{__checks-0}} + 1)); __counted_preexec }}"
        ),
        Sh::Fish => format!(
            "function __awsenv_user_prompt; test -e '{flag}'; and set -g __awsenv_next 0; \
             printf 'PROMPT> '; end\n\
             functions --copy __awsenv_preexec __counted_preexec\n\
             function __awsenv_preexec --on-event fish_preexec; \
             set -g __checks (math $__checks + 1); __counted_preexec; end\n\
             set -g __checks 0"
        ),
    }
}

/// How many checks the pre-command hook has made, counting the one for this command line.
fn checks(t: &mut Terminal) -> u32 {
    let out = t.run("printf '<%s>' \"$__checks\"");
    let start = out.rfind('<').unwrap();
    out[start + 1..out.rfind('>').unwrap()].parse().unwrap()
}

fn name(sh: Sh) -> &'static str {
    match sh {
        Sh::Bash => "bash",
        Sh::Zsh => "zsh",
        Sh::Fish => "fish",
    }
}

/// The starts since `from`: how many were the pre-command hook's, and the rest.
fn since(shim: &Shim, from: usize, sh: Sh) -> (usize, Vec<String>) {
    let before = format!("[hook][{}][--before-command]", name(sh));
    let (pre, rest): (Vec<String>, Vec<String>) = shim.starts()[from..]
        .iter()
        .cloned()
        .partition(|s| s.starts_with(&before));
    (pre.len(), rest)
}

/// A terminal with alice's session, the shim, and the session due at every prompt from now on.
fn due_terminal(sh: Sh, before: &str) -> (crate::support::Home, Shim, Terminal) {
    let (home, alice) = alice_home();
    let shim = Shim::new(&home);
    let flag = home.dir.join("due");
    let rc = Rc {
        before: &format!("{}\n{before}", shim.rc_line(sh)),
        after: &due_while(sh, &flag),
        ..Rc::default()
    };
    let mut t = Terminal::start_with(&home, sh, &rc);
    t.switch_with_mfa("alice", &alice);
    t.next_prompt();
    std::fs::write(&flag, "").unwrap();
    t.prompt();
    (home, shim, t)
}

#[test]
fn a_due_session_is_checked_once_right_before_each_command_line() {
    for sh in ALL {
        let (_home, shim, mut t) = due_terminal(sh, "");
        let from = shim.starts().len();
        t.run("true; true; true");
        let (pre, rest) = since(&shim, from, sh);
        assert_eq!(pre, 1, "{sh:?}: {:?}", shim.starts());
        // The hook before the command made the session current: the prompt asks nothing.
        assert_eq!(rest, Vec::<String>::new(), "{sh:?}");

        // Prompts alone: the prompt hook, never the pre-command one.
        let from = shim.starts().len();
        for _ in 0..3 {
            t.prompt();
        }
        let (pre, rest) = since(&shim, from, sh);
        assert_eq!(pre, 0, "{sh:?}: {rest:?}");
        assert_eq!(rest.len(), 3, "{sh:?}: the prompts were due: {rest:?}");

        // One check per command line, however many commands it has; none for a prompt.
        let before = checks(&mut t);
        t.run("true; true; true");
        t.run(match sh {
            Sh::Fish => "for i in 1 2 3; true; end; begin; true; end | true",
            _ => "for i in 1 2 3; do true; done; (true) | true",
        });
        t.prompt();
        // bash's trap never sees a line of only a subshell; the prompt drops the flag.
        t.pty.send(match sh {
            Sh::Fish => "begin; true; end\n",
            _ => "(true)\n",
        });
        t.pty.wait_for("PROMPT> ");
        let subshell = u32::from(sh != Sh::Bash);
        assert_eq!(checks(&mut t), before + 3 + subshell, "{sh:?}");

        // What the shell was told goes to both hooks, as one argument.
        let tell = match sh {
            Sh::Fish => "set -g __awsenv_told 'a b'",
            _ => "__awsenv_told='a b'",
        };
        let prompt = match sh {
            Sh::Fish => "[hook][fish][--told][a b]",
            Sh::Bash => "[hook][bash][--told][a b]",
            Sh::Zsh => "[hook][zsh][--told][a b]",
        };
        t.run(tell);
        t.prompt();
        assert_eq!(shim.starts().last().unwrap(), prompt, "{sh:?}");
        t.run(tell);
        let from = shim.starts().len();
        t.run("true");
        let told = format!("[hook][{}][--before-command][--told][a b]", name(sh));
        assert_eq!(shim.starts()[from], told, "{sh:?}");

        // Loaded twice, still once per command line.
        match sh {
            Sh::Fish => t.run("awsenv init fish | source"),
            _ => t.run(&format!("eval \"$(awsenv init {})\"", name(sh))),
        };
        t.prompt();
        let from = shim.starts().len();
        t.run("true; true");
        let (pre, _) = since(&shim, from, sh);
        assert_eq!(pre, 1, "{sh:?}: loaded twice: {:?}", shim.starts());
        let hooks = match sh {
            Sh::Bash => t.run("trap -p DEBUG"),
            Sh::Zsh => t.run("print -r -- $preexec_functions"),
            Sh::Fish => t.run("functions --handlers-type generic"),
        };
        let ours = if sh == Sh::Bash {
            "__awsenv_debug"
        } else {
            "__awsenv_preexec"
        };
        assert_eq!(hooks.matches(ours).count(), 1, "{sh:?}: {hooks}");
    }
}

/// A DEBUG trap of the user's, set before the awsenv line, that keeps $_ as starship's does.
const USER_TRAP: &str = "__user_trap() { __seen+=(\"$1 $2 $BASH_COMMAND\"); }\n\
                         trap '__user_trap \"$?\" \"$_\"' DEBUG\nPS0='[ps0]'";

/// What the user's trap saw for `__seen=(); false; true; true; __show=(...)`: once per simple
/// command, with $? and $_ as they were (the same lines as in a bash without awsenv).
const SEEN: [&str; 4] = [
    "0  false",
    "1 false true",
    "0 true true",
    "0 true __show=(\"${__seen[@]}\")",
];

#[test]
fn bash_keeps_the_users_debug_trap_ps0_last_argument_and_status() {
    for user_trap in [false, true] {
        let (_home, shim, mut t) = due_terminal(Sh::Bash, if user_trap { USER_TRAP } else { "" });
        let what = format!("user trap: {user_trap}");
        let from = shim.starts().len();
        let out = t.run("__seen=(); false; true; true; __show=(\"${__seen[@]}\")");
        assert_eq!(since(&shim, from, Sh::Bash).0, 1, "{what}");
        if user_trap {
            assert_eq!(out.matches("[ps0]").count(), 1, "{what}: {out:?}");
            let shown = t.run("printf '<%s>' \"${__show[@]}\"");
            let wanted: String = SEEN.iter().map(|s| format!("<{s}>")).collect();
            assert!(shown.contains(&wanted), "{what}: {shown:?}");
        }

        let out = t.run("echo foo; echo \"<$_>\"");
        assert!(out.contains("foo\r\n<foo>"), "{what}: $_ is kept: {out:?}");
        // Also for the first command of a line, the one the check runs before.
        t.pty.send("echo bar\n");
        t.pty.wait_for("PROMPT> ");
        let out = t.run("echo \"<$_>\"");
        assert!(out.contains("<bar>"), "{what}: $_ is kept: {out:?}");
        t.pty.send("false\n");
        t.pty.wait_for("PROMPT> ");
        let out = t.run("echo \"<$?>\"");
        assert!(out.contains("<1>"), "{what}: $? is kept: {out:?}");

        // Under extdebug, a DEBUG trap that fails skips the command: ours never does.
        t.run("shopt -s extdebug");
        t.pty.send("false\n");
        t.pty.wait_for("PROMPT> ");
        let from = shim.starts().len();
        let out = t.run("echo ran; echo ran too");
        assert!(out.contains("ran\r\nran too"), "{what}: {out:?}");
        assert_eq!(since(&shim, from, Sh::Bash).0, 1, "{what}");
        t.run("shopt -u extdebug");

        // A PS0 set later keeps its text, and ours comes back in front of it.
        t.run("PS0='[new]'");
        let from = shim.starts().len();
        let out = t.run("true");
        assert_eq!(since(&shim, from, Sh::Bash).0, 1, "{what}");
        assert!(
            out.contains("[new]") && !out.contains("[ps0]"),
            "{what}: {out:?}"
        );

        // Loaded twice: one trap of ours, the user's still in it once.
        t.run("eval \"$(awsenv init bash)\"");
        let trap = t.run("trap -p DEBUG");
        assert_eq!(trap.matches("__awsenv_debug").count(), 1, "{what}: {trap}");
        assert_eq!(
            trap.matches("__user_trap").count(),
            usize::from(user_trap),
            "{what}: {trap}"
        );
        if user_trap {
            let from = shim.starts().len();
            t.run("__seen=(); false; true; true; __show=(\"${__seen[@]}\")");
            assert_eq!(since(&shim, from, Sh::Bash).0, 1, "{what}");
            let shown = t.run("printf '<%s>' \"${__show[@]}\"");
            let wanted: String = SEEN.iter().map(|s| format!("<{s}>")).collect();
            assert!(shown.contains(&wanted), "{what}, loaded twice: {shown:?}");
        }
    }
}

/// bash-preexec is not installed here. This stands in for it the way the awsenv line sees it
/// (bash-preexec 0.6 sets `bash_preexec_imported`, older ones `__bp_imported`, and keeps its
/// DEBUG trap to itself until the first prompt): then the hook is one of its
/// `preexec_functions`, once, with no trap or PS0 of ours; bash-preexec calls it with $? of
/// the last command, and passes on a failure, which ours never returns.
#[test]
fn with_bash_preexec_the_hook_is_one_of_its_preexec_functions() {
    for imported in ["bash_preexec_imported", "__bp_imported"] {
        let (home, _) = alice_home();
        let shim = Shim::new(&home);
        let before = format!(
            "{}\n{imported}=defined\n__user_preexec() {{ :; }}\npreexec_functions=(__user_preexec)",
            shim.rc_line(Sh::Bash)
        );
        let rc = Rc {
            before: &before,
            // Twice, as one might.
            after: "eval \"$(awsenv init bash)\"",
            ..Rc::default()
        };
        let mut t = Terminal::start_with(&home, Sh::Bash, &rc);
        let list = t.run("printf '<%s>' \"${preexec_functions[@]}\"");
        assert_eq!(
            list.trim(),
            "<__user_preexec><__awsenv_preexec>",
            "{imported}"
        );
        assert_eq!(t.run("trap -p DEBUG").trim(), "", "{imported}");
        assert_eq!(t.var("PS0"), "", "{imported}");
        // An account whose cache file is gone is due.
        let from = shim.starts().len();
        let out = t.run("export AWSENV_ACCOUNT=x; false; __awsenv_preexec true; echo \"<$?>\"");
        assert!(out.contains("<0>"), "{imported}: {out:?}");
        assert_eq!(
            shim.starts()[from..],
            ["[hook][bash][--before-command]".to_owned()],
            "{imported}"
        );
    }
}
