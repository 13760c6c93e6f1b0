//! Lines for the person at the terminal, on stderr (stdout is for the shell to eval). Names in
//! them come from config files and are untrusted: control characters are shown escaped so a
//! profile name cannot move the cursor, retitle the window or hide text.

use std::io::Write;

pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "awsenv: {}", printable(line));
}

/// One line, with every control character escaped (`\n` becomes a space: AWS messages
/// sometimes wrap, and an error is one line).
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
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
    }
}
