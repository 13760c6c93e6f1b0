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
