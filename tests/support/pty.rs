//! Runs a program with a pseudo-terminal as its controlling terminal, as a person's terminal
//! would be: what it writes to /dev/tty is read here, and what is typed here (codes, ctrl-C)
//! reaches it through the terminal's line discipline.

use nix::pty::{OpenptyResult, openpty};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    master: std::fs::File,
    screen: Arc<Mutex<String>>,
    /// How much of the screen `wait_for` has consumed.
    seen: usize,
    child: Option<Child>,
}

impl Drop for Pty {
    /// A test that ends (or fails) must not leave its shell running: the reader thread keeps
    /// the master open, so the shell would never see a hangup.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Pty {
    /// Starts `cmd` in a new session whose controlling terminal is a new pty. The command's
    /// own stdin/stdout/stderr are left as the caller set them (as under `eval "$(...)"`).
    pub fn spawn(cmd: Command) -> Pty {
        Self::start(cmd, false)
    }

    /// Starts `cmd` with the pty as its terminal and as its stdin, stdout and stderr, as a
    /// terminal emulator starts a shell.
    pub fn attached(cmd: Command) -> Pty {
        Self::start(cmd, true)
    }

    fn start(mut cmd: Command, attach: bool) -> Pty {
        let OpenptyResult { master, slave } = openpty(None, None).expect("openpty");
        if attach {
            for stdio in 0..3 {
                let fd = slave.try_clone().unwrap();
                match stdio {
                    0 => cmd.stdin(fd),
                    1 => cmd.stdout(fd),
                    _ => cmd.stderr(fd),
                };
            }
        }
        let slave_fd = slave.as_raw_fd();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                nix::libc::setsid();
                if nix::libc::ioctl(slave_fd, nix::libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on pty");
        drop::<OwnedFd>(slave);
        let master = std::fs::File::from(master);
        let screen = Arc::new(Mutex::new(String::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // A character may arrive split across two reads: keep its first bytes for the next.
            let mut pending = Vec::new();
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
                let valid = match std::str::from_utf8(&pending) {
                    Ok(_) => pending.len(),
                    Err(e) if e.error_len().is_none() => e.valid_up_to(),
                    Err(_) => pending.len(),
                };
                let text = String::from_utf8_lossy(&pending[..valid]).into_owned();
                pending.drain(..valid);
                sink.lock().unwrap().push_str(&text);
            }
        });
        Pty {
            master,
            screen,
            seen: 0,
            child: Some(child),
        }
    }

    /// Waits for the program to end; its output, where stdout and stderr were piped.
    pub fn output(&mut self) -> std::process::Output {
        let child = self.child.take().expect("the program is still ours");
        child.wait_with_output().unwrap()
    }

    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until the terminal shows `text`.
    pub fn expect(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the terminal shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `text` appears after what was consumed so far; returns the output from
    /// there up to and including it, and consumes it.
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if let Some(at) = screen[self.seen..].find(text) {
                let end = self.seen + at + text.len();
                let chunk = screen[self.seen..end].to_owned();
                self.seen = end;
                return chunk;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the terminal shows:\n{}",
                &screen[self.seen..]
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
    }
}
