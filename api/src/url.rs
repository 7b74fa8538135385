//! Percent-encoding, once for the whole project: the console's URLs (query values, path
//! segments) and the backend's OpenBao paths all go through these functions.

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

/// A query value as a browser sends it: `%XX` decoded, `+` a space. A `%` not followed by
/// two hex digits stays as it is; bytes that are not UTF-8 become U+FFFD.
pub fn decode(value: &str) -> String {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes
            .get(i + 1)
            .copied()
            .and_then(hex)
            .zip(bytes.get(i + 2).copied().and_then(hex));
        match (bytes[i], pair) {
            (b'%', Some((hi, lo))) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_undoes_encoding_and_survives_bad_input() {
        for value in ["a b/c?d#e&f=g", "é", "/credentials?env=qa", "50% off"] {
            assert_eq!(decode(&encode(value)), value);
            assert_eq!(decode(&encode_path(value)), value);
        }
        assert_eq!(decode("a+b"), "a b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%FF"), "\u{fffd}");
    }

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
