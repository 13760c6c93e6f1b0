//! Getting an MFA code: `--code` (or `AWSENV_MFA_CODE`), else the profile's `mfa_process`, else
//! a prompt on /dev/tty, which works even inside `eval "$(awsenv switch x)"` where stdin and
//! stdout are not the terminal. Ctrl-C at the prompt ends the command cleanly: nothing has been
//! written yet, and the caller exits with the "interrupted" status.

use crate::error::{Result, fail};
use crate::ui::printable;
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// An MFA code is six digits; spaces people type between groups are dropped.
pub fn normalize(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

pub fn code(
    account: &str,
    serial: &str,
    given: Option<&str>,
    process: Option<&str>,
) -> Result<String> {
    if let Some(given) = given {
        crate::debug!("MFA code from --code or AWSENV_MFA_CODE");
        return normalize(given)
            .ok_or_else(|| fail!(Mfa, "the MFA code given for {account} is not 6 digits"));
    }
    if let Some(command) = process {
        crate::debug!("MFA code from mfa_process");
        return from_process(account, command);
    }
    prompt(account, serial)
}

fn from_process(account: &str, command: &str) -> Result<String> {
    let out = Command::new("/bin/sh")
        .args(["-c", command])
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| fail!(Mfa, "{account}: cannot run mfa_process: {e}"))?;
    if !out.status.success() {
        return Err(fail!(
            Mfa,
            "{account}: mfa_process failed ({}): fix it in the profile or pass --code",
            out.status
        ));
    }
    normalize(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| {
        fail!(
            Mfa,
            "{account}: mfa_process printed no 6-digit code: fix it in the profile or pass --code"
        )
    })
}

fn prompt(account: &str, serial: &str) -> Result<String> {
    let mut terminal = Terminal::open().ok_or_else(|| {
        fail!(
            Mfa,
            "{account} needs an MFA code and there is no terminal to ask on: pass --code or set \
             AWSENV_MFA_CODE"
        )
    })?;
    let question = format!(
        "MFA code for {} ({}): ",
        printable(account),
        printable(serial)
    );
    terminal.ask_code(account, &question)
}

/// The person's terminal (/dev/tty), whatever stdin and stdout are.
pub struct Terminal {
    tty: File,
}

impl Terminal {
    /// None without a controlling terminal (cron, CI, a pipeline started elsewhere).
    pub fn open() -> Option<Terminal> {
        let tty = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        Some(Terminal { tty })
    }

    pub fn write(&mut self, text: &str) {
        let _ = self.tty.write_all(text.as_bytes());
    }

    /// Asks for a 6-digit code, three times at most. Ctrl-C or end of input cancels.
    pub fn ask_code(&mut self, account: &str, question: &str) -> Result<String> {
        let cancelled = || {
            fail!(
                Interrupted,
                "{account}: cancelled at the MFA prompt; nothing was changed"
            )
        };
        let _sigint = SigintGuard::install();
        for _ in 0..3 {
            self.write(question);
            match read_line(&self.tty) {
                Ok(Some(line)) => match normalize(&line) {
                    Some(code) => return Ok(code),
                    None => self.write("An MFA code is the 6 digits your device shows.\n"),
                },
                Ok(None) | Err(Errno::EINTR) => {
                    self.write("\n");
                    return Err(cancelled());
                }
                Err(e) => return Err(fail!(Mfa, "{account}: cannot read the terminal: {e}")),
            }
        }
        Err(fail!(Mfa, "{account}: no 6-digit MFA code was entered"))
    }
}

/// Reads one line; None at end of input. A SIGINT interrupts the read (no SA_RESTART).
fn read_line(tty: &File) -> Result<Option<String>, Errno> {
    let mut line = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Errno::EINTR);
        }
        match nix::unistd::read(tty, &mut buf) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(0) => break,
            Ok(n) => {
                line.extend_from_slice(&buf[..n]);
                if line.contains(&b'\n') {
                    break;
                }
            }
            Err(Errno::EINTR) if !INTERRUPTED.load(Ordering::SeqCst) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Catches SIGINT while the prompt is up, and puts the previous handling back afterwards.
struct SigintGuard {
    previous: Option<SigAction>,
}

impl SigintGuard {
    fn install() -> SigintGuard {
        INTERRUPTED.store(false, Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(on_sigint),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let previous = unsafe { sigaction(Signal::SIGINT, &action) }.ok();
        SigintGuard { previous }
    }
}

impl Drop for SigintGuard {
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            // SAFETY: restores the disposition that was in place before install().
            let _ = unsafe { sigaction(Signal::SIGINT, previous) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(normalize("123456").as_deref(), Some("123456"));
        assert_eq!(normalize(" 123 456\n").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
