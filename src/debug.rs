//! `--debug` or `AWSENV_DEBUG=1`: each step on stderr with the milliseconds since start.
//! Callers log names, paths, kinds and timings; never a key, token or MFA code.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

pub fn enable() {
    START.get_or_init(Instant::now);
}

pub fn enabled() -> bool {
    START.get().is_some()
}

pub fn emit(args: std::fmt::Arguments<'_>) {
    if let Some(start) = START.get() {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        crate::ui::say(&format!("debug {ms:7.1}ms {args}"));
    }
}

#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::debug::enabled() {
            $crate::debug::emit(format_args!($($arg)*));
        }
    };
}
