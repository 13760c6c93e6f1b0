//! Time as awsenv shows and reads it: Unix seconds inside, RFC 3339 UTC (`...Z`) in files and
//! variables, and short human spans (`7h42m`) on the terminal.

use crate::error::{Result, fail};
use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Parses an RFC 3339 timestamp (as STS and `AWS_CREDENTIAL_EXPIRATION` write them) to Unix
/// seconds; fractions of a second are dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Formats Unix seconds as RFC 3339 UTC with a `Z`, the form starship and botocore read.
pub fn format_rfc3339(secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A span for people: `12h`, `7h42m`, `1h05m`, `42m`, `30s`. To the nearest minute, so that a
/// session STS made for 12h reads `12h` although a second has gone by.
pub fn human(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        return format!("{secs}s");
    }
    let minutes = (secs + 30) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

/// Parses a duration as people write it: `3600`, `3600s`, `90m`, `12h`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<u32> {
    let invalid = || {
        fail!(
            Config,
            "invalid duration '{text}': write seconds (3600) or a span like 1h, 90m, 1h30m"
        )
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid());
    }
    if let Ok(secs) = text.parse::<u32>() {
        return Ok(secs);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(invalid()),
        };
        let n: u64 = digits.parse().map_err(|_| invalid())?;
        total = total.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(invalid());
    }
    u32::try_from(total).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let s = "2026-11-21T20:29:37Z";
        let secs = parse_rfc3339(s).unwrap();
        assert_eq!(format_rfc3339(secs), s);
        assert_eq!(parse_rfc3339("2026-11-21T20:29:37.123Z"), Some(secs));
        assert_eq!(parse_rfc3339("2026-11-21T21:29:37+01:00"), Some(secs));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn human_spans() {
        assert_eq!(human(43200), "12h");
        assert_eq!(human(43199), "12h");
        assert_eq!(human(7 * 3600 + 42 * 60 + 29), "7h42m");
        assert_eq!(human(7 * 3600 + 42 * 60 + 30), "7h43m");
        assert_eq!(human(3900), "1h05m");
        assert_eq!(human(42 * 60), "42m");
        assert_eq!(human(30), "30s");
        assert_eq!(human(-5), "0s");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600").unwrap(), 3600);
        assert_eq!(parse_duration("3600s").unwrap(), 3600);
        assert_eq!(parse_duration("90m").unwrap(), 5400);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration(" 12h ").unwrap(), 43200);
        for bad in ["", "h", "1d", "1h30", "-5", "1.5h", "99999999999"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
