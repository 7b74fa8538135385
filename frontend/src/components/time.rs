/// An RFC 3339 UTC time as people read it: `2026-11-25 15:01:48 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if rfc3339.ends_with('Z') => format!("{} UTC", head.replace('T', " ")),
        _ => rfc3339.to_owned(),
    }
}
