//! Percent-encoding, once for the whole project: the console's URLs (query values, path
//! segments) and the backend's OpenBao paths all go through these two functions.

/// RFC 3986's unreserved characters: the only ones sent as they are.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode_bytes(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A query value or a single path segment: everything but unreserved characters encoded,
/// `/` included, so a stray `/`, `?`, `#` or `&` cannot change the route or the query.
pub fn encode(value: &str) -> String {
    encode_bytes(value, false)
}

/// A path of segments: each segment encoded as [`encode`] does, the `/` between them kept.
pub fn encode_path(path: &str) -> String {
    encode_bytes(path, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_paths() {
        assert_eq!(encode("a b/c?d#e&f=g"), "a%20b%2Fc%3Fd%23e%26f%3Dg");
        assert_eq!(encode("Az09-._~"), "Az09-._~");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(
            encode_path("env/qa/data/db/password"),
            "env/qa/data/db/password"
        );
        assert_eq!(
            encode_path("legacy/team#1/50% off"),
            "legacy/team%231/50%25%20off"
        );
        assert_eq!(encode_path("env/+/x*@"), "env/%2B/x%2A%40");
    }
}
