//! Getting an MFA code: `--code` (or `AWSENV_MFA_CODE`), else the profile's `mfa_process`, else
//! a prompt on /dev/tty, which works even inside `eval "$(awsenv switch x)"` where stdin and
//! stdout are not the terminal. Ctrl-C, a closed terminal (SIGHUP) or SIGTERM at the prompt or
//! while mfa_process runs ends the command cleanly: nothing has been written yet, and the
//! caller exits with the signal's status (130, 129, 143), as a shell reports a job it ended.

use crate::clock;
use crate::error::{Error, Result, fail};
use crate::ui::{printable, say};
use nix::errno::Errno;
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, killpg, pthread_sigmask, sigaction,
};
use nix::sys::termios;
use nix::unistd::{Pid, getpgrp, tcgetpgrp, tcsetpgrp};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// An MFA code is six digits; spaces people type between groups are dropped.
pub fn normalize(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The code: `given`, else from `process` (a command, and how long it may take), else asked.
pub fn code(
    account: &str,
    serial: &str,
    given: Option<&str>,
    process: Option<(&str, u32)>,
) -> Result<String> {
    if let Some(given) = given {
        crate::debug!("MFA code from --code or AWSENV_MFA_CODE");
        return normalize(given)
            .ok_or_else(|| fail!(Mfa, "the MFA code given for {account} is not 6 digits"));
    }
    if let Some((command, limit)) = process {
        crate::debug!("MFA code from mfa_process");
        return from_process(account, command, limit);
    }
    prompt(account, serial)
}

/// Runs `mfa_process` in its own process group, so that on timeout or a signal the shell and
/// whatever it started go together. It writes to the terminal when there is one: under
/// credential_process the AWS CLI captures awsenv's stderr, and a PIN prompt or "touch your
/// key" must still reach the person.
fn from_process(account: &str, command: &str, limit: u32) -> Result<String> {
    let mut terminal = Terminal::open();
    let running = format!("{account}: running mfa_process (touch your security key if it blinks)");
    let stderr = match &mut terminal {
        Some(terminal) => {
            terminal.write(&format!("awsenv: {}\n", printable(&running)));
            terminal
                .tty
                .try_clone()
                .map_or(Stdio::inherit(), Stdio::from)
        }
        None => {
            say(&running);
            Stdio::inherit()
        }
    };
    let _signals = SignalGuard::install();
    let mut child = Command::new("/bin/sh")
        .args(["-c", command])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .map_err(|e| fail!(Mfa, "{account}: cannot run mfa_process: {e}"))?;
    let group = Pid::from_raw(child.id() as i32);
    let foreground = terminal
        .as_ref()
        .and_then(|t| Foreground::give(&t.tty, group));
    let (sender, stdout) = mpsc::channel();
    if let Some(mut pipe) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            let _ = sender.send(out);
        });
    }
    let ended = wait(
        &mut child,
        &stdout,
        Instant::now() + Duration::from_secs(limit.into()),
    );
    if !matches!(ended, Ok(Ended::Exited(..))) {
        stop(&mut child, group);
    }
    drop(foreground);
    let (status, out) = match ended {
        Ok(Ended::Exited(status, out)) => (status, out),
        Ok(Ended::Caught(signal)) => {
            return Err(stopped(
                account,
                signal,
                "while mfa_process ran; nothing was changed",
            ));
        }
        Ok(Ended::TimedOut) => {
            return Err(fail!(
                Mfa,
                "{account}: mfa_process did not finish within {} and was stopped: fix it in the \
                 profile, pass --code, or set AWSENV_MFA_PROCESS_TIMEOUT to wait longer",
                clock::human(limit.into())
            ));
        }
        Err(e) => return Err(fail!(Mfa, "{account}: cannot wait for mfa_process: {e}")),
    };
    // The process had the terminal: ctrl-C reached it rather than awsenv.
    if status.signal() == Some(Signal::SIGINT as i32) || status.code() == Some(130) {
        return Err(stopped(
            account,
            Signal::SIGINT,
            "while mfa_process ran; nothing was changed",
        ));
    }
    if !status.success() {
        return Err(fail!(
            Mfa,
            "{account}: mfa_process failed ({status}): fix it in the profile or pass --code"
        ));
    }
    normalize(&String::from_utf8_lossy(&out)).ok_or_else(|| {
        fail!(
            Mfa,
            "{account}: mfa_process printed no 6-digit code: fix it in the profile or pass --code"
        )
    })
}

enum Ended {
    Exited(ExitStatus, Vec<u8>),
    Caught(Signal),
    TimedOut,
}

/// Waits for the process and for the end of its output (which something it started may hold
/// open), until the deadline or a signal.
fn wait(
    child: &mut Child,
    stdout: &Receiver<Vec<u8>>,
    deadline: Instant,
) -> std::io::Result<Ended> {
    let tick = Duration::from_millis(10);
    let status = loop {
        if let Some(signal) = caught() {
            return Ok(Ended::Caught(signal));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            return Ok(Ended::TimedOut);
        }
        std::thread::sleep(tick);
    };
    loop {
        if let Some(signal) = caught() {
            return Ok(Ended::Caught(signal));
        }
        if Instant::now() >= deadline {
            return Ok(Ended::TimedOut);
        }
        match stdout.recv_timeout(tick) {
            Ok(out) => return Ok(Ended::Exited(status, out)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(Ended::Exited(status, Vec::new())),
        }
    }
}

/// Ends the process group: SIGTERM lets a script clean up, SIGKILL follows for anything that
/// ignores it (or is stopped). The group's id stays ours until its last member is gone.
fn stop(child: &mut Child, group: Pid) {
    let _ = killpg(group, Signal::SIGTERM);
    let grace = Instant::now() + Duration::from_millis(500);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < grace {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
}

/// The terminal's foreground handed to mfa_process, as a shell hands it to a job: its PIN
/// prompt can read the keyboard (a background read would stop it) and ctrl-C reaches it.
/// Given back on drop.
struct Foreground {
    tty: File,
    ours: Pid,
}

impl Foreground {
    /// None when awsenv itself is not in the foreground (run in the background, or no job
    /// control): then the terminal is not awsenv's to give.
    fn give(tty: &File, group: Pid) -> Option<Foreground> {
        let ours = getpgrp();
        if tcgetpgrp(tty).ok()? != ours {
            return None;
        }
        let tty = tty.try_clone().ok()?;
        tcsetpgrp(&tty, group).ok()?;
        // A process that read the terminal before it was given is stopped (SIGTTIN): wake it,
        // as `fg` does. Its read starts again, now in the foreground.
        let _ = killpg(group, Signal::SIGCONT);
        Some(Foreground { tty, ours })
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        // From the background, taking the terminal back would stop awsenv with SIGTTOU,
        // unless that signal is blocked.
        let mut ttou = SigSet::empty();
        ttou.add(Signal::SIGTTOU);
        let mut previous = SigSet::empty();
        let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&ttou), Some(&mut previous));
        let _ = tcsetpgrp(&self.tty, self.ours);
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&previous), None);
    }
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

    /// Asks for a 6-digit code, three times at most. Ctrl-C, SIGHUP, SIGTERM or end of input
    /// cancels.
    pub fn ask_code(&mut self, account: &str, question: &str) -> Result<String> {
        let _signals = SignalGuard::install();
        for _ in 0..3 {
            self.write(question);
            let line = read_line(&self.tty);
            if let Some(signal) = caught() {
                self.write("\n");
                return Err(stopped(
                    account,
                    signal,
                    "at the MFA prompt; nothing was changed",
                ));
            }
            match line {
                Ok(Some(line)) => match normalize(&line) {
                    Some(code) => return Ok(code),
                    None => self.write("An MFA code is the 6 digits your device shows.\n"),
                },
                Ok(None) => {
                    self.write("\n");
                    return Err(stopped(
                        account,
                        hangup_after_end_of_input().unwrap_or(Signal::SIGINT),
                        "at the MFA prompt; nothing was changed",
                    ));
                }
                Err(e) => return Err(fail!(Mfa, "{account}: cannot read the terminal: {e}")),
            }
        }
        Err(fail!(Mfa, "{account}: no 6-digit MFA code was entered"))
    }
}

impl Terminal {
    /// Asks for one line; `secret`: without echo (the terminal's settings come back before
    /// anything else happens, ctrl-C included). `during` names the prompt in messages.
    pub fn ask_line(
        &mut self,
        account: &str,
        question: &str,
        secret: bool,
        during: &str,
    ) -> Result<String> {
        let _signals = SignalGuard::install();
        let saved = if secret {
            termios::tcgetattr(&self.tty).ok()
        } else {
            None
        };
        if let Some(saved) = &saved {
            let mut quiet = saved.clone();
            quiet.local_flags.remove(termios::LocalFlags::ECHO);
            // The Enter still moves to the next line.
            quiet.local_flags.insert(termios::LocalFlags::ECHONL);
            let _ = termios::tcsetattr(&self.tty, termios::SetArg::TCSAFLUSH, &quiet);
        }
        self.write(question);
        let line = read_line(&self.tty);
        if let Some(saved) = &saved {
            let _ = termios::tcsetattr(&self.tty, termios::SetArg::TCSAFLUSH, saved);
        }
        let nothing = format!("{during}; nothing was changed");
        if let Some(signal) = caught() {
            self.write("\n");
            return Err(stopped(account, signal, &nothing));
        }
        match line {
            Ok(Some(line)) => Ok(line.trim().to_owned()),
            Ok(None) => {
                self.write("\n");
                let signal = hangup_after_end_of_input().unwrap_or(Signal::SIGINT);
                Err(stopped(account, signal, &nothing))
            }
            Err(e) => Err(fail!(Failure, "{account}: cannot read the terminal: {e}")),
        }
    }

    /// Asks a yes/no question; only y or yes is yes.
    pub fn confirm(&mut self, account: &str, question: &str) -> Result<bool> {
        let answer = self.ask_line(
            account,
            &format!("{question} [y/N] "),
            false,
            "at the question",
        )?;
        Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
    }
}

/// A terminal that closes reads as end of input a moment before the kernel sends its SIGHUP:
/// waits that moment, so that a closed terminal is told apart from ctrl-D.
fn hangup_after_end_of_input() -> Option<Signal> {
    let deadline = Instant::now() + Duration::from_millis(200);
    while caught().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    caught()
}

/// Reads one line; None at end of input or when a signal was caught (the caller asks
/// `caught()`). Waits in short polls, so that a signal landing just before a read cannot leave
/// it blocked.
fn read_line(tty: &File) -> Result<Option<String>, Errno> {
    let mut line = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        if caught().is_some() {
            return Ok(None);
        }
        let mut poll = [nix::libc::pollfd {
            fd: tty.as_raw_fd(),
            events: nix::libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd, owned by this frame, for the length of the call.
        let ready = unsafe { nix::libc::poll(poll.as_mut_ptr(), 1, 200) };
        match ready {
            0 => continue,
            n if n < 0 => match Errno::last() {
                Errno::EINTR => continue,
                e => return Err(e),
            },
            _ => {}
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
            Err(Errno::EINTR) => continue,
            // A terminal that hung up: its SIGHUP says so.
            Err(Errno::EIO) if line.is_empty() => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// The first of SIGINT, SIGHUP, SIGTERM caught while a `SignalGuard` was held; 0 for none.
/// Never reset: once caught, the command winds down and exits.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: nix::libc::c_int) {
    let _ = CAUGHT.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// The signal that asked this command to stop, if one came while a guard was held.
pub fn caught() -> Option<Signal> {
    match CAUGHT.load(Ordering::SeqCst) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// The error that ends a command stopped by `signal`, with the status a shell gives a job that
/// signal ended: ctrl-C 130, a closed terminal (SIGHUP) 129, SIGTERM 143.
pub fn stopped(account: &str, signal: Signal, during: &str) -> Error {
    match signal {
        Signal::SIGHUP => fail!(
            Hangup,
            "{account}: stopped by SIGHUP (the terminal closed) {during}"
        ),
        Signal::SIGTERM => fail!(Terminated, "{account}: stopped by SIGTERM {during}"),
        _ => fail!(Interrupted, "{account}: cancelled {during}"),
    }
}

/// While held, SIGINT, SIGHUP and SIGTERM are caught instead of ending the process, so that
/// what was started can be finished or undone; `caught()` says whether one came. Interrupts
/// blocking reads (no SA_RESTART). Guards nest; each puts back what it replaced.
pub struct SignalGuard {
    previous: Vec<(Signal, SigAction)>,
}

const STOPPING: [Signal; 3] = [Signal::SIGINT, Signal::SIGHUP, Signal::SIGTERM];

impl SignalGuard {
    pub fn install() -> SignalGuard {
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for signal in STOPPING {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            let Ok(before) = (unsafe { sigaction(signal, &action) }) else {
                continue;
            };
            // A signal ignored by whoever started awsenv (nohup, a background job) stays so.
            if matches!(before.handler(), SigHandler::SigIgn) {
                // SAFETY: puts back the disposition just replaced.
                let _ = unsafe { sigaction(signal, &before) };
            }
            previous.push((signal, before));
        }
        SignalGuard { previous }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (signal, previous) in self.previous.iter().rev() {
            // SAFETY: restores the disposition that was in place before install().
            let _ = unsafe { sigaction(*signal, previous) };
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
