//! Administration: users and roles (S5, S13, C5), suspending organizations, and the audit log
//! (S14).

use super::error::{ApiError, ApiResult, Problem, ProblemCode};
use super::extract::{ApiJson, ApiQuery, ClientIp, CurrentUser, PathId};
use super::{audit_context, page_request, parse_instant};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bilheteria_app::authz::require_admin;
use bilheteria_app::{App, organizations};
use bilheteria_domain::account::{Role, Roles, User};
use bilheteria_domain::audit::{AuditEntry, AuditQuery, AuditVerification};
use bilheteria_domain::ids::{OrganizationId, UserId};
use bilheteria_domain::organization::Organization;
use bilheteria_domain::page::Page;
use bilheteria_domain::validation::count;
use bilheteria_domain::{FieldErrors, FieldProblem};
use bilheteria_store::StoreError;
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// The complete set; `customer` is always kept.
    #[schema(schema_with = bilheteria_domain::openapi::roles)]
    pub roles: Vec<String>,
}

#[utoipa::path(put, path = "/admin/users/{id}/roles", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = RolesRequest,
    responses(
        (status = 200, body = User),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "`cannot_demote_self`", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn set_roles(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<UserId>,
    ApiJson(body): ApiJson<RolesRequest>,
) -> ApiResult<Json<User>> {
    require_admin(&caller.user)?;
    let mut errors = FieldErrors::new();
    let roles: Vec<Role> = body
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| errors.check(format!("roles[{i}]"), Role::parse(raw)))
        .collect();
    if roles.len() > Role::ALL.len() * 2 {
        errors.add(
            "roles",
            FieldProblem::TooMany {
                max: count(Role::ALL.len() * 2),
            },
        );
    }
    errors.finish(|| Some(()))?;
    let roles = Roles::from_roles(roles);
    if id == caller.user.id && !roles.has(Role::Admin) {
        // Otherwise the last admin could lock everyone out of administration.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::CannotDemoteSelf,
            "an admin cannot remove their own admin role; ask another admin",
        ));
    }
    let user = state
        .store
        .set_roles(id, roles, &audit_context(&caller, client_ip))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("user"),
            other => other.into(),
        })?;
    Ok(Json(user))
}

#[utoipa::path(post, path = "/admin/organizations/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the organization, suspended: its sessions refuse new holds (`organization_suspended`)", body = Organization),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
    ))]
pub async fn suspend_organization(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<OrganizationId>,
) -> ApiResult<Json<Organization>> {
    suspension(&state, &caller, client_ip, id, true).await
}

#[utoipa::path(post, path = "/admin/organizations/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "the organization, selling again", body = Organization),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
    ))]
pub async fn unsuspend_organization(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    PathId(id): PathId<OrganizationId>,
) -> ApiResult<Json<Organization>> {
    suspension(&state, &caller, client_ip, id, false).await
}

async fn suspension(
    state: &App,
    caller: &CurrentUser,
    client_ip: ClientIp,
    id: OrganizationId,
    suspended: bool,
) -> ApiResult<Json<Organization>> {
    let audit = audit_context(caller, client_ip);
    Ok(Json(
        organizations::set_suspended(state, &caller.user, id, suspended, &audit).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    /// Prefix of the email or the name, any letter case.
    #[param(max_length = 254)]
    pub q: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, body = Page<User>), (status = 403, body = Problem)))]
pub async fn list_users(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Page<User>>> {
    require_admin(&caller.user)?;
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let prefix = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if prefix.is_some_and(|q| q.chars().count() > 254) {
        return Err(ApiError::invalid_field(
            "q",
            FieldProblem::TooLong { max: 254 },
        ));
    }
    Ok(Json(state.store.list_users(prefix, &page).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditListQuery {
    /// Id of the user who acted.
    #[param(format = Uuid)]
    pub actor: Option<String>,
    /// e.g. `event.updated`.
    pub action: Option<String>,
    /// Id of the object acted on.
    pub target: Option<String>,
    /// RFC 3339; entries at or after.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339; entries before.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page, as it was given (an opaque value: any other is
    /// refused with 422 `validation_failed`).
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditListQuery),
    responses((status = 200, description = "newest first", body = Page<AuditEntry>), (status = 403, body = Problem)))]
pub async fn list_audit(
    State(state): State<App>,
    caller: CurrentUser,
    ApiQuery(query): ApiQuery<AuditListQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    require_admin(&caller.user)?;
    let mut errors = FieldErrors::new();
    let actor_id = match query.actor.as_deref() {
        None => None,
        Some(raw) => errors.check(
            "actor",
            raw.parse::<UserId>().map_err(|_| FieldProblem::NotAnId),
        ),
    };
    let from = query
        .from
        .as_deref()
        .and_then(|raw| errors.check("from", parse_instant(raw)));
    let to = query
        .to
        .as_deref()
        .and_then(|raw| errors.check("to", parse_instant(raw)));
    errors.finish(|| Some(()))?;
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = AuditQuery {
        actor_id,
        action: query.action,
        target_id: query.target,
        from,
        to,
    };
    Ok(Json(state.store.list_audit(&filter, &page).await?))
}

#[utoipa::path(get, path = "/admin/audit/verify", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "the result of checking the hash chain", body = AuditVerification), (status = 403, body = Problem)))]
pub async fn verify_audit(
    State(state): State<App>,
    caller: CurrentUser,
) -> ApiResult<Json<AuditVerification>> {
    require_admin(&caller.user)?;
    Ok(Json(state.store.verify_audit().await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RehearsalBuyersRequest {
    /// How many buyers (1..=20000).
    #[schema(minimum = 1, maximum = 20_000)]
    pub count: i64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RehearsalBuyer {
    pub id: UserId,
    pub email: String,
    /// A bearer token of the buyer's login session, on a device of its own.
    pub token: String,
    pub device_id: String,
}

#[utoipa::path(post, path = "/admin/rehearsal/buyers", tag = "admin", security(("bearer" = [])),
    request_body = RehearsalBuyersRequest,
    responses(
        (status = 201, description = "customer accounts for an on-sale rehearsal, already logged in; they have no usable password", body = Page<RehearsalBuyer>),
        (status = 403, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn rehearsal_buyers(
    State(state): State<App>,
    caller: CurrentUser,
    client_ip: ClientIp,
    ApiJson(body): ApiJson<RehearsalBuyersRequest>,
) -> ApiResult<(StatusCode, Json<Page<RehearsalBuyer>>)> {
    require_admin(&caller.user)?;
    if !(1..=20_000).contains(&body.count) {
        return Err(ApiError::invalid_field(
            "count",
            FieldProblem::OutOfRange {
                min: 1,
                max: 20_000,
            },
        ));
    }
    let run = uuid::Uuid::now_v7().simple().to_string();
    let now = state.clock.now();
    let mut tokens = Vec::with_capacity(body.count as usize);
    let mut buyers = Vec::with_capacity(body.count as usize);
    for i in 0..body.count {
        let email = format!("rehearsal-{run}-{i}@rehearsal.invalid");
        let device_id = format!("rehearsal-{run}-{i}");
        let token = bilheteria_app::auth::new_token().map_err(ApiError::internal)?;
        buyers.push((
            bilheteria_store::NewUser {
                email: email.clone(),
                email_normalized: email.clone(),
                name: format!("Rehearsal buyer {i}"),
                // Not a PHC string: no password can ever match it.
                password_hash: "!rehearsal".into(),
                roles: Roles::customer(),
                language: Default::default(),
                email_verified: false,
                created_at: now,
            },
            bilheteria_store::NewLoginSession {
                user_id: UserId::new(),
                token_hash: bilheteria_app::auth::token_hash(&token),
                device_id: device_id.clone(),
                ip: client_ip.to_option_string(),
                user_agent: Some("bilheteria loadtest".into()),
                created_at: now,
                expires_at: now + time::Duration::hours(12),
            },
        ));
        tokens.push((token, device_id));
    }
    let users = state
        .store
        .create_logged_in_buyers(buyers, &audit_context(&caller, client_ip))
        .await?;
    let items = users
        .into_iter()
        .zip(tokens)
        .map(|(user, (token, device_id))| RehearsalBuyer {
            id: user.id,
            email: user.email,
            token,
            device_id,
        })
        .collect();
    Ok((StatusCode::CREATED, Json(Page::complete(items))))
}
