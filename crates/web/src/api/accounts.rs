//! Accounts and login sessions (S5, C2).

use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use super::extract::{ApiJson, ClientIp, CurrentUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use bilheteria_app::App;
use bilheteria_app::accounts::{self, AccountForm, LoginAttempt};
use bilheteria_app::credentials;
use bilheteria_domain::account::{DeviceId, SessionEnd, SessionState, User};
use bilheteria_domain::ids::LoginSessionId;
use bilheteria_domain::locale::Language;
use bilheteria_domain::page::Page;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 8 to 128 characters, at least 8 of them not spaces.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `pt-BR` or `en`: what mails are written in. Absent, the request's `Accept-Language`
    /// decides (Portuguese when it names neither).
    #[serde(default)]
    #[schema(schema_with = bilheteria_domain::openapi::language_optional)]
    pub language: Option<String>,
}

#[utoipa::path(post, path = "/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses(
        (status = 201, description = "account created", body = User),
        (status = 409, description = "`email_taken`", body = Problem),
        (status = 422, description = "`validation_failed`", body = Problem),
        (status = 429, description = "`rate_limited`: too many sign-ups from this address", body = Problem),
    ))]
pub async fn register(
    State(state): State<App>,
    client_ip: ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let form = AccountForm {
        email: &body.email,
        password: &body.password,
        name: &body.name,
        language: body.language.as_deref(),
        fallback_language: Language::from_accept_language(accepted),
    };
    let user = accounts::register(&state, &form, client_ip.to_option_string().as_deref()).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    #[schema(max_length = 128)]
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub user: User,
}

pub const DEVICE_HEADER: &str = "x-device-id";

#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginRequest,
    params(("X-Device-Id" = String, Header, min_length = 8, max_length = 128, pattern = "^[A-Za-z0-9_.:-]{8,128}$", description = "the client's device id: 8..128 ASCII letters, digits and - _ . :")),
    responses(
        (status = 200, description = "logged in; other sessions of the user and of the device ended", body = LoginResponse),
        (status = 400, description = "`device_id_required`: the header is missing", body = Problem),
        (status = 422, description = "`device_id_required`: the header is malformed (its `errors` say how)", body = Problem),
        (status = 401, description = "`invalid_credentials`", body = Problem),
        (status = 429, description = "`rate_limited`", body = Problem),
    ))]
pub async fn login(
    State(state): State<App>,
    client_ip: ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let device = match headers.get(DEVICE_HEADER) {
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::DeviceIdRequired,
                "send the X-Device-Id header (8 to 128 characters)",
            ));
        }
        // Bytes that are not UTF-8 are shown replaced, so the message can name them.
        Some(value) => {
            DeviceId::parse(&String::from_utf8_lossy(value.as_bytes())).map_err(|problem| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ProblemCode::DeviceIdRequired,
                    format!(
                        "X-Device-Id {}",
                        crate::field_words::message(Language::En, &problem)
                    ),
                )
                .with_field_error("X-Device-Id", problem)
            })?
        }
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect());
    let logged_in = accounts::login(
        &state,
        LoginAttempt {
            email: &body.email,
            password: &body.password,
            device,
            ip: client_ip.to_option_string(),
            user_agent,
        },
    )
    .await?;
    Ok(Json(LoginResponse {
        token: logged_in.token,
        expires_at: logged_in.session.expires_at,
        user: logged_in.user,
    }))
}

#[utoipa::path(post, path = "/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204, description = "the session is ended"), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<App>, caller: CurrentUser) -> ApiResult<StatusCode> {
    state
        .store
        .end_login_session(caller.session_id, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, description = "`unauthenticated` or `session_replaced`", body = Problem)))]
pub async fn me(caller: CurrentUser) -> Json<User> {
    Json(caller.user)
}

/// What a user may change of their own account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// `pt-BR` or `en`: what mails (and pages) are written in.
    #[schema(schema_with = bilheteria_domain::openapi::language_required)]
    pub language: String,
}

#[utoipa::path(patch, path = "/me", tag = "accounts", security(("bearer" = [])), request_body = MePatch,
    responses(
        (status = 200, description = "the account as changed", body = User),
        (status = 401, body = Problem),
        (status = 422, description = "`validation_failed`", body = Problem),
    ))]
pub async fn update_me(
    State(state): State<App>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<MePatch>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        accounts::set_language(&state, &caller.user, &body.language).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: LoginSessionId,
    pub device_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    pub end_reason: Option<SessionEnd>,
    pub active: bool,
    /// The session making this request.
    pub current: bool,
}

#[utoipa::path(get, path = "/me/sessions", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "the caller's latest sessions, newest first", body = Page<SessionView>)))]
pub async fn my_sessions(
    State(state): State<App>,
    caller: CurrentUser,
) -> ApiResult<Json<Page<SessionView>>> {
    let now = state.clock.now();
    let sessions = state.store.list_login_sessions(caller.user.id).await?;
    Ok(Json(Page::complete(
        sessions
            .into_iter()
            .map(|s| SessionView {
                active: s.state_at(now) == SessionState::Active,
                current: s.id == caller.session_id,
                id: s.id,
                device_id: s.device_id,
                ip: s.ip,
                user_agent: s.user_agent,
                created_at: s.created_at,
                expires_at: s.expires_at,
                ended_at: s.ended_at,
                end_reason: s.end_reason,
            })
            .collect(),
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(max_length = 128)]
    pub current_password: String,
    /// 8 to 128 characters, at least 8 of them not spaces.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[utoipa::path(post, path = "/auth/password", tag = "accounts", security(("bearer" = [])), request_body = PasswordChange,
    responses(
        (status = 204, description = "changed; the user's other sessions ended"),
        (status = 401, body = Problem),
        (status = 422, description = "`validation_failed`: `current_password` is wrong or `new_password` too weak", body = Problem),
        (status = 429, description = "`rate_limited`", body = Problem),
    ))]
pub async fn change_password(
    State(state): State<App>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    credentials::change_password(
        &state,
        &caller.user,
        caller.session_id,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

#[utoipa::path(post, path = "/auth/password-reset", tag = "accounts", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "a single-use link valid for one hour is mailed if the address has an account; the same answer either way"),
        (status = 429, description = "`rate_limited`: too many requests for this address or from this client", body = Problem),
    ))]
pub async fn request_password_reset(
    State(state): State<App>,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    credentials::request_password_reset(
        &state,
        &body.email,
        client_ip.to_option_string().as_deref(),
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 8 to 128 characters, at least 8 of them not spaces.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[utoipa::path(post, path = "/auth/password-reset/{token}", tag = "accounts", request_body = PasswordReset,
    params(("token" = String, Path, pattern = "^[A-Za-z0-9_-]{43}$", description = "the token of the mailed link")),
    responses(
        (status = 204, description = "the password is changed; every session of the user ended"),
        (status = 410, description = "`invalid_token`: used, expired or unknown", body = Problem),
        (status = 422, description = "`validation_failed`", body = Problem),
    ))]
pub async fn reset_password(
    State(state): State<App>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    credentials::reset_password(&state, &token, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/verify-email", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 202, description = "the confirmation link is mailed again (nothing when the address is confirmed)"),
        (status = 401, body = Problem),
        (status = 429, description = "`rate_limited`", body = Problem),
    ))]
pub async fn resend_verification(
    State(state): State<App>,
    client_ip: ClientIp,
    caller: CurrentUser,
) -> ApiResult<StatusCode> {
    credentials::send_verification(
        &state,
        &caller.user,
        client_ip.to_option_string().as_deref(),
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(post, path = "/auth/verify-email/{token}", tag = "accounts",
    params(("token" = String, Path, pattern = "^[A-Za-z0-9_-]{43}$", description = "the token of the link mailed at sign-up")),
    responses(
        (status = 204, description = "the address is confirmed"),
        (status = 410, description = "`invalid_token`: used, expired or unknown", body = Problem),
    ))]
pub async fn verify_email(
    State(state): State<App>,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    credentials::verify_email(&state, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
