//! The browser's cookies: the login (the same login session a bearer token stands for), the
//! device id a login is bound to (C2), the chosen language; and the CSRF proof that every
//! cookie-authenticated write must carry.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The login token, as `Authorization: Bearer` would carry it.
pub const LOGIN: &str = "bilheteria_login";
/// A random id of this browser, made on its first page view.
pub const DEVICE: &str = "bilheteria_device";
/// `pt-BR` or `en`, when the visitor chose one with the switch.
pub const LANGUAGE: &str = "bilheteria_lang";
/// The header a page's script sends its CSRF proof in (forms send the field `csrf`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request, if it sent one.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: never readable by scripts, sent on top-level navigation from other
/// sites (so a link into the box office keeps its login) but not on their forms or fetches.
pub fn set(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that makes the browser forget cookie `name`.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", 0, secure)
}

/// The CSRF proof of a browser: derived from a secret that only this browser and the server
/// know (its login token once logged in, its device id before), so another site can neither
/// read it nor make it.
pub fn csrf_proof(secret: &str) -> String {
    let digest = Sha256::new_with_prefix(b"bilheteria-csrf\0")
        .chain_update(secret.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

/// Whether `offered` is the proof for `secret`, compared in constant time.
pub fn csrf_matches(secret: &str, offered: &str) -> bool {
    let expected = csrf_proof(secret);
    expected.len() == offered.len()
        && expected
            .bytes()
            .zip(offered.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; bilheteria_login=tok"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("bilheteria_lang=en"),
        );
        assert_eq!(get(&headers, LOGIN), Some("tok"));
        assert_eq!(get(&headers, LANGUAGE), Some("en"));
        assert_eq!(get(&headers, DEVICE), None);
    }

    #[test]
    fn a_proof_matches_only_its_secret() {
        let proof = csrf_proof("secret one");
        assert!(csrf_matches("secret one", &proof));
        assert!(!csrf_matches("secret two", &proof));
        assert!(!csrf_matches("secret one", ""));
        assert!(!csrf_matches("secret one", &proof[1..]));
    }

    #[test]
    fn cookies_are_http_only_and_secure_on_tls() {
        let cookie = set(LOGIN, "t", 60, true);
        let text = cookie.to_str().unwrap();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(text.contains("Secure"));
        assert!(
            !set(LOGIN, "t", 60, false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
