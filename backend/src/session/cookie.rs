use axum::http::{header, HeaderMap, HeaderValue};
use crypter_api::SESSION_COOKIE;

/// A `Secure` cookie takes the `__Host-` prefix: browsers then refuse it unless it is
/// Secure, host-only (no `Domain`) and for `Path=/`, so no sibling host can plant or
/// shadow it.
const HOST_PREFIX: &str = "__Host-";

fn name(secure: bool) -> String {
    named(SESSION_COOKIE, secure)
}

fn named(base: &str, secure: bool) -> String {
    if secure {
        format!("{HOST_PREFIX}{base}")
    } else {
        base.to_owned()
    }
}

/// The value of our session cookie in a request, if any (the `__Host-` one first).
pub fn read_cookie(headers: &HeaderMap) -> Option<String> {
    read_named(headers, SESSION_COOKIE)
}

/// `Set-Cookie` for one of our cookies (`base` without the `__Host-` prefix), with the
/// session cookie's attributes.
pub fn cookie_named(base: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        named(base, secure),
        max_age_secs.max(0)
    );
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of our cookie `base` in a request, if any (the `__Host-` one first).
pub fn read_named(headers: &HeaderMap, base: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    [named(base, true), named(base, false)]
        .iter()
        .find_map(|want| pairs.iter().find(|(n, _)| n == want))
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Strict, and over TLS `Secure` with
/// the `__Host-` prefix. `max_age_secs`: until the session's hard end (the server decides
/// when it ends; the browser only forgets it then).
pub fn session_cookie(id: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    cookie_named(SESSION_COOKIE, id, max_age_secs, secure)
}

pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        name(!secure.is_empty())
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the request reached us over TLS (directly or through a proxy that says so).
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_cookie_among_others_the_host_one_first() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; crypter_session=abc; b=2"),
        );
        assert_eq!(read_cookie(&h).as_deref(), Some("abc"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("crypter_session=plain; __Host-crypter_session=host"),
        );
        assert_eq!(read_cookie(&h).as_deref(), Some("host"));
        assert_eq!(read_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = session_cookie("x", 60, true);
        let s = c.to_str().unwrap();
        assert!(s.starts_with("__Host-crypter_session=x;"), "{s}");
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=60",
            "Secure",
            "Path=/",
        ] {
            assert!(s.contains(part), "{s}");
        }
        assert!(!s.contains("Domain"), "{s}");
        let plain = session_cookie("x", 60, false);
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("crypter_session=x;"), "{plain}");
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(clear_cookie(true)
            .to_str()
            .unwrap()
            .starts_with("__Host-crypter_session=;"));
    }
}
