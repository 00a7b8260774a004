//! Conditional requests and the gzip coding, for the answers that carry an ETag (the seat map,
//! the static assets). A gzipped answer is another representation of the resource, so it has a
//! strong ETag of its own: the plain one's with `-gzip`.

use axum::http::{HeaderMap, header};

/// Whether the request's `Accept-Encoding` takes gzip (listed, and not with `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(gzip_listed)
}

fn gzip_listed(accepted: &str) -> bool {
    accepted.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("gzip"))
            && !parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            })
    })
}

/// The ETag of the representation sent: `plain` (quoted) as it is, or marked as gzipped.
pub fn etag(plain: &str, gzip: bool) -> String {
    match plain.strip_suffix('"') {
        Some(open) if gzip => format!("{open}-gzip\""),
        _ => plain.to_owned(),
    }
}

/// Whether the request's `If-None-Match` names `etag` (compared weakly, as that header is:
/// `W/"x"` names `"x"`) or is `*`: the client's copy is current, and 304 answers it.
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| names(tags, etag))
}

fn names(tags: &str, etag: &str) -> bool {
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_unless_refused() {
        assert!(gzip_listed("gzip"));
        assert!(gzip_listed("br, GZIP;q=0.8, deflate"));
        assert!(!gzip_listed("br, deflate"));
        assert!(!gzip_listed("gzip;q=0"));
        assert!(!gzip_listed("identity"));
    }

    #[test]
    fn a_gzipped_representation_has_an_etag_of_its_own() {
        assert_eq!(etag("\"a1\"", false), "\"a1\"");
        assert_eq!(etag("\"a1\"", true), "\"a1-gzip\"");
    }

    #[test]
    fn if_none_match_is_compared_weakly_and_takes_a_star() {
        assert!(names("\"a\"", "\"a\""));
        assert!(names("\"b\", W/\"a\"", "\"a\""));
        assert!(names("*", "\"a\""));
        assert!(!names("\"a-gzip\"", "\"a\""));
        assert!(!names("", "\"a\""));
    }
}
