//! Request extractors that turn every client mistake into a documented problem: JSON bodies,
//! query strings, path ids, the caller's identity and address.

use super::error::{ApiError, ProblemCode};
use crate::cookies;
use axum::extract::rejection::BytesRejection;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Request,
};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use bilheteria_app::App;
use bilheteria_app::accounts;
use bilheteria_domain::account::User;
use bilheteria_domain::ids::LoginSessionId;
use bilheteria_domain::locale::Language;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A JSON body, deserialised with the path of the first offending field in the error.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || mime.to_ascii_lowercase().ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ProblemCode::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| match rejection {
                BytesRejection::FailedToBufferBody(_)
                    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ProblemCode::PayloadTooLarge,
                        "the request body is too large",
                    )
                }
                other => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ProblemCode::MalformedBody,
                    other.body_text(),
                ),
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out (an empty body): `None` then.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
            || (req.headers().get(header::CONTENT_LENGTH).is_none()
                && req.headers().get(header::TRANSFER_ENCODING).is_none());
        if empty {
            return Ok(OptionalJson(None));
        }
        ApiJson::from_request(req, state)
            .await
            .map(|ApiJson(value)| OptionalJson(Some(value)))
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match parse_json_as_sent(bytes) {
        Err(refused) if refused.code == ProblemCode::ValidationFailed => {
            // `402.0` is the integer 402 to JSON: read again with such numbers as integers.
            let mut value: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|_| refused.clone())?;
            if !whole_numbers_as_integers(&mut value) {
                return Err(refused);
            }
            serde_path_to_error::deserialize(value).map_err(field_error)
        }
        parsed => parsed,
    }
}

/// Turns every number with a zero fraction (in the range of an integer) into that integer;
/// whether any was.
fn whole_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float)
                if number.is_f64()
                    && float.fract() == 0.0
                    && float >= i64::MIN as f64
                    && float < i64::MAX as f64 =>
            {
                *value = Value::from(float as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| whole_numbers_as_integers(item) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, item| whole_numbers_as_integers(item) | any),
        _ => false,
    }
}

fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let field = if path == "." { "body".to_owned() } else { path };
    ApiError::unreadable(&field, &strip_position(&inner.to_string()))
}

fn parse_json_as_sent<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        if error.inner().is_syntax() || error.inner().is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::MalformedJson,
                format!("the body is not valid JSON: {}", error.into_inner()),
            )
        } else {
            field_error(error)
        }
    })?;
    deserializer.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C", which says nothing useful about a field.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string, with bad values reported as `validation_failed`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::unreadable("query", &e.to_string()))
    }
}

/// The language the API words things for people in: the request's `Accept-Language`,
/// Portuguese when it names neither of ours (`error::request_language`).
pub struct RequestLanguage(pub Language);

impl<S: Send + Sync> FromRequestParts<S> for RequestLanguage {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLanguage(super::error::request_language(
            &parts.headers,
        )))
    }
}

/// An id from the path; a malformed one names nothing, so it is `not_found`.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: FromStr> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            <axum::extract::Path<String> as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("resource"))?;
        raw.parse()
            .map(PathId)
            .map_err(|_| ApiError::not_found("resource"))
    }
}

/// Two ids of the path, e.g. `/events/{id}/staff/{user_id}`; a malformed one is a 404 problem.
pub struct PathIds<A, B>(pub A, pub B);

impl<S: Send + Sync, A: FromStr, B: FromStr> FromRequestParts<S> for PathIds<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((first, second)) =
            <axum::extract::Path<(String, String)> as FromRequestParts<S>>::from_request_parts(
                parts, state,
            )
            .await
            .map_err(|_| ApiError::not_found("resource"))?;
        match (first.parse(), second.parse()) {
            (Ok(first), Ok(second)) => Ok(PathIds(first, second)),
            _ => Err(ApiError::not_found("resource")),
        }
    }
}

/// The caller's address: the peer, or with a trusted proxy in front, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn to_option_string(self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &App) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientIp(peer.map(|peer| {
            resolve_client_ip(peer, forwarded, &state.settings.trusted_proxies)
        })))
    }
}

pub fn resolve_client_ip(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(forwarded_for) = forwarded_for else {
        return peer;
    };
    let mut hops = forwarded_for.split(',').rev().map(str::trim);
    let mut nearest = peer;
    for hop in hops.by_ref() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => nearest = ip,
            Ok(ip) => return ip,
            // A garbled hop was written by someone we do not trust; stop at the last good one.
            Err(_) => return nearest,
        }
    }
    nearest
}

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub session_id: LoginSessionId,
    /// The device this login is bound to (C2); admission tokens are bound to it too.
    pub device_id: String,
}

impl FromRequestParts<App> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &App) -> Result<Self, Self::Rejection> {
        match credentials(parts)? {
            Some(token) => authenticate(token, state).await,
            None => Err(ApiError::unauthenticated(
                "send `Authorization: Bearer <token>`",
            )),
        }
    }
}

impl OptionalFromRequestParts<App> for CurrentUser {
    type Rejection = ApiError;

    /// Absent credentials make an anonymous caller; present but bad ones are still refused.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &App,
    ) -> Result<Option<Self>, Self::Rejection> {
        match credentials(parts)? {
            Some(token) => authenticate(token, state).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The login token the request carries: `Authorization: Bearer`, or else the box office's
/// login cookie, which a write must back with its CSRF proof (`X-CSRF-Token`) since a browser
/// sends cookies whoever made the request.
fn credentials(parts: &Parts) -> Result<Option<&str>, ApiError> {
    if let Some(header) = parts.headers.get(header::AUTHORIZATION) {
        let header = header.to_str().unwrap_or_default();
        return header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Some)
            .ok_or_else(|| ApiError::unauthenticated("send `Authorization: Bearer <token>`"));
    }
    let Some(token) = cookies::get(&parts.headers, cookies::LOGIN) else {
        return Ok(None);
    };
    let reads_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let proof = parts
        .headers
        .get(cookies::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !reads_only && !cookies::csrf_matches(token, proof) {
        return Err(ApiError::csrf_failed());
    }
    Ok(Some(token))
}

async fn authenticate(token: &str, state: &App) -> Result<CurrentUser, ApiError> {
    if token.len() > 128 {
        return Err(ApiError::unauthenticated("unknown or invalid token"));
    }
    let (user, session) = accounts::authenticate(state, token).await?;
    Ok(CurrentUser {
        user,
        session_id: session.id,
        device_id: session.device_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            resolve_client_ip(peer, Some("1.2.3.4"), &nets(&["10.0.0.0/8"])),
            peer
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        let client = resolve_client_ip(peer, Some("6.6.6.6, 198.51.100.4, 10.0.0.7"), &trusted);
        assert_eq!(
            client,
            "198.51.100.4".parse::<IpAddr>().unwrap(),
            "a spoofed leftmost hop is ignored"
        );
        assert_eq!(resolve_client_ip(peer, None, &trusted), peer);
        assert_eq!(
            resolve_client_ip(peer, Some("garbage, 10.0.0.7"), &trusted),
            "10.0.0.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn an_integer_written_with_a_zero_fraction_is_that_integer() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Body {
            amount: i64,
            parts: Vec<u32>,
        }
        assert_eq!(
            parse_json::<Body>(br#"{"amount": 402.0, "parts": [1, 2.0]}"#).unwrap(),
            Body {
                amount: 402,
                parts: vec![1, 2]
            }
        );
        let fraction = parse_json::<Body>(br#"{"amount": 402.5, "parts": []}"#).unwrap_err();
        assert_eq!(fraction.code, ProblemCode::ValidationFailed);
        assert_eq!(fraction.detail.split(':').next(), Some("amount"));
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            outer: Vec<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: i64,
        }
        let error = parse_json::<Body>(br#"{"outer": [{"n": 1}, {"n": "x"}]}"#).unwrap_err();
        assert_eq!(error.code, ProblemCode::ValidationFailed);
        assert_eq!(error.errors[0].field, "outer[1].n");
        assert_eq!(
            parse_json::<Body>(b"{oops").unwrap_err().code,
            ProblemCode::MalformedJson
        );
        assert_eq!(
            parse_json::<Body>(br#"{"outer": []} trailing"#)
                .unwrap_err()
                .code,
            ProblemCode::MalformedJson
        );
        assert_eq!(
            parse_json::<Body>(b"{}").unwrap_err().errors[0].field,
            "body"
        );
    }
}
