//! The shapes AWS documents for the values awsenv passes on (IAM's and STS's patterns), so a
//! mistyped or hostile value is refused where the profile is read, never sent or exported.

/// IAM's `\w`: ASCII letters, digits and `_`.
fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn made_of(text: &str, len: std::ops::RangeInclusive<usize>, extra: &str) -> bool {
    len.contains(&text.len()) && text.chars().all(|c| word(c) || extra.contains(c))
}

/// `eu-west-1`, `cn-north-1`, `us-gov-west-1`; lower case, as AWS names them.
pub fn region(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && made_of(text, 1..=50, "-")
        && !text.contains(|c: char| c.is_ascii_uppercase() || c == '_')
}

/// `arn:PARTITION:iam::ACCOUNT_ID:KIND...` (role/ or mfa/), in any partition.
pub fn arn(text: &str, kind: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", id, rest]
        if partition.starts_with("aws")
            && partition.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && id.len() == 12
            && id.bytes().all(|b| b.is_ascii_digit())
            && rest.strip_prefix(kind).is_some_and(|name| made_of(name, 1..=2000, "+=,.@/-")))
}

/// A virtual device's ARN, or a hardware token's serial (IAM's `[\w+=/:,.@-]{9,256}`).
pub fn mfa_serial(text: &str) -> bool {
    if text.starts_with("arn:") {
        return arn(text, "mfa/");
    }
    made_of(text, 9..=256, "+=/:,.@-")
}

pub fn external_id(text: &str) -> bool {
    made_of(text, 2..=1224, "+=,.@:/-")
}

pub fn session_name(text: &str) -> bool {
    made_of(text, 2..=64, "+=,.@-")
}

/// An access key id (IAM's `[\w]{16,128}`), as `awsenv_keychain` names one.
pub fn access_key_id(text: &str) -> bool {
    made_of(text, 16..=128, "")
}
