//! Lines for the person at the terminal, on stderr (stdout is for the shell to eval). Names in
//! them come from config files and are untrusted: control characters are shown escaped so a
//! profile name cannot move the cursor, retitle the window or hide text.

use std::io::Write;

/// Everything awsenv prints on stdout goes through here. A reader that stops early
/// (`awsenv list | head -1`) ends the program quietly, as it would a filter.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// switch, mfa, clear and export print the session's secrets: for a shell or a program to
/// read, never for a terminal to show (or a scrollback to keep). Checked before any prompt.
pub fn refuse_terminal(why: &str) -> crate::error::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return Err(crate::error::fail!(Usage, "{why}"));
    }
    Ok(())
}

/// Why switch, mfa and clear refuse a terminal.
pub const SHELL_CODE: &str = "this prints shell code with your credentials in it, for your \
    shell to run: set up the shell integration (awsenv init --help), or run eval \"$(awsenv \
    ...)\"";

pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "awsenv: {}", printable(line));
}

/// One line, with every character that could act on a terminal escaped (`\n` becomes a
/// space: AWS messages sometimes wrap, and an error is one line).
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if acts_on_terminal(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// C0 and C1 controls (ESC, U+009B CSI, ...) drive terminals; bidirectional overrides and
/// isolates (U+202E) and line separators make text read other than it is.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// JSON for a terminal or a pipe: serde_json leaves C1 controls and bidi overrides raw inside
/// strings; here they become `\uXXXX`, which every JSON reader turns back into the same text.
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // serde_json escapes C0 controls in strings itself; outside strings they are layout.
        if acts_on_terminal(c) && c > '\u{7e}' {
            // Only strings can hold such characters, and every one of them is in the BMP.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(
            super::printable("a\x1b]0;x\x07b\nc"),
            "a\\u{1b}]0;x\\u{7}b c"
        );
        assert_eq!(
            super::printable("a\u{9b}2Jb\u{202e}c"),
            "a\\u{9b}2Jb\\u{202e}c"
        );
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw_and_reads_back_the_same() {
        let name = "a\u{1b}b\u{9b}c\u{202e}d\u{2066}é";
        let value = serde_json::json!({ "account": name });
        let text = super::json_safe(&serde_json::to_string_pretty(&value).unwrap());
        assert!(
            !text.contains(['\u{1b}', '\u{9b}', '\u{202e}', '\u{2066}']),
            "{text}"
        );
        assert!(text.contains("é"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["account"], name);
    }
}
