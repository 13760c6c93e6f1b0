//! The AWS shared files' INI dialect, as botocore and the AWS CLI read it: section headers,
//! `key = value` (or `:`), comment lines, and indented continuation lines.

/// The name inside a section header line, as botocore's reader takes it: everything between
/// the first `[` and the last `]` on the line (so `[profile a]b]` names `profile a]b`).
pub(crate) fn header(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix('[')?;
    Some(rest[..rest.rfind(']')?].trim())
}

pub(crate) type Section = (String, Vec<(String, String)>);

/// Reads an AWS shared file: its profile sections and their keys, in file order. Sections that
/// are not profiles (`[sso-session x]`, `[services x]`) are skipped in the config file.
pub(crate) fn parse_ini(text: &str, is_config: bool) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut in_profile = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            let header = header(trimmed).unwrap_or("");
            let name = if is_config {
                section_profile(header)
            } else {
                Some(header.to_owned())
            };
            in_profile = name.is_some();
            if let Some(name) = name {
                sections.push((name, Vec::new()));
            }
            continue;
        }
        let Some((_, values)) = sections.last_mut().filter(|_| in_profile) else {
            continue;
        };
        // An indented line continues the previous value (nested settings such as `s3 =`).
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = values.last_mut() {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(at) = trimmed.find(['=', ':']) {
            let key = trimmed[..at].trim().to_ascii_lowercase();
            let value = trimmed[at + 1..].trim().to_owned();
            values.push((key, value));
        }
    }
    sections
}

/// `default`, `profile default` and `profile NAME` (optionally quoted) name profiles.
pub(crate) fn section_profile(header: &str) -> Option<String> {
    if header == "default" {
        return Some(header.to_owned());
    }
    let rest = header.strip_prefix("profile")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let name = rest.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}
