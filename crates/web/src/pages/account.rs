//! Accounts in the browser: sign up, log in (a login cookie, under the one-session rule of C2),
//! log out, the account page with its devices and sessions, the language, and the one-time
//! setup link that makes the first admin.

use super::credentials::Field;
use super::{
    Chrome, Form, PageError, PageResult, Visitor, lenient_query, local_path, not_found, see_other,
};
use crate::api::error::{ApiError, ProblemCode};
use crate::cookies;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bilheteria_app::accounts::{self, AccountForm, LoginAttempt};
use bilheteria_app::{App, AppError, credentials, setup};
use bilheteria_domain::account::{SessionEnd, SessionState, User};
use bilheteria_domain::ids::LoginSessionId;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct CredentialsPage {
    c: Chrome,
    heading: &'static str,
    intro: Option<&'static str>,
    problems: Vec<String>,
    action: String,
    next: String,
    with_name: bool,
    name: String,
    email: String,
    button: &'static str,
    other: Option<(String, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
    /// `done` after a password reset: the login page says so.
    reset: Option<String>,
}

impl CredentialsPage {
    fn login(visitor: &Visitor, next: &str) -> Self {
        let w = visitor.w;
        CredentialsPage {
            c: visitor.chrome(None),
            heading: w.login_title,
            intro: None,
            problems: Vec::new(),
            action: "/login".to_owned(),
            next: next.to_owned(),
            with_name: false,
            name: String::new(),
            email: String::new(),
            button: w.nav_login,
            other: Some((
                format!("/register?next={}", super::encode(next)),
                w.register_instead,
            )),
        }
    }

    /// The form shown again with what was typed in it (never the password).
    fn typed(mut self, account: &AccountForm<'_>) -> Self {
        self.email = account.email.to_owned();
        self.name = account.name.to_owned();
        self
    }

    fn register(visitor: &Visitor, next: &str) -> Self {
        let w = visitor.w;
        CredentialsPage {
            heading: w.register_title,
            action: "/register".to_owned(),
            with_name: true,
            button: w.nav_register,
            other: Some((
                format!("/login?next={}", super::encode(next)),
                w.login_instead,
            )),
            ..Self::login(visitor, next)
        }
    }
}

/// A form shown again with what went wrong, in the visitor's language.
fn with_problem(visitor: &Visitor, mut form: CredentialsPage, error: AppError) -> PageResult {
    let problem = ApiError::from(error);
    let (title, text) = super::words::problem(visitor.lang, problem.code, &problem.detail);
    form.problems = if problem.errors.is_empty() {
        vec![format!("{title}. {text}")]
    } else {
        problem
            .errors
            .iter()
            .map(|error| super::words::field_error(visitor.lang, error))
            .collect()
    };
    if problem.code == ProblemCode::InvalidCredentials {
        form.problems = vec![visitor.w.wrong_credentials.to_owned()];
    }
    let mut response = visitor.page(&form);
    super::answer_problem(&mut response, &problem);
    Ok(response)
}

/// `GET /login`.
pub async fn login_form(visitor: Visitor, RawQuery(query): RawQuery) -> Response {
    let query = lenient_query::<Next>(query);
    let next = local_path(query.next.as_deref());
    let mut page = CredentialsPage::login(&visitor, &next);
    if query.reset.is_some() {
        page.c = visitor.chrome(Some(visitor.w.reset_done.to_owned()));
    }
    visitor.page(&page)
}

/// `GET /register`.
pub async fn register_form(visitor: Visitor, RawQuery(query): RawQuery) -> Response {
    let next = local_path(lenient_query::<Next>(query).next.as_deref());
    visitor.page(&CredentialsPage::register(&visitor, &next))
}

/// Logs the visitor in on their device (ending their other sessions, C2) and sends them on.
async fn log_in(
    app: &App,
    visitor: &Visitor,
    headers: &HeaderMap,
    email: &str,
    password: &str,
    next: &str,
) -> Result<Response, AppError> {
    let logged_in = accounts::login(
        app,
        LoginAttempt {
            email,
            password,
            device: visitor.device.clone(),
            ip: visitor.ip.to_option_string(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(256).collect()),
        },
    )
    .await?;
    let lasts = (logged_in.session.expires_at - app.clock.now()).whole_seconds();
    let mut response = see_other(next);
    visitor.set_cookie(&mut response, cookies::LOGIN, &logged_in.token, lasts);
    Ok(response)
}

/// `POST /login`.
pub async fn login(
    State(app): State<App>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let next = local_path(form.get("next"));
    let email = form.get("email").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    match log_in(&app, &visitor, &headers, email, password, &next).await {
        Ok(response) => Ok(response),
        Err(error) => {
            let mut page = CredentialsPage::login(&visitor, &next);
            page.email = email.to_owned();
            with_problem(&visitor, page, error)
        }
    }
}

/// `POST /register`: creates the account and logs it in.
pub async fn register(
    State(app): State<App>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let next = local_path(form.get("next"));
    let account = account_fields(&form, &visitor);
    let ip = visitor.ip.to_option_string();
    let made = match accounts::register(&app, &account, ip.as_deref()).await {
        Ok(_) => {
            log_in(
                &app,
                &visitor,
                &headers,
                account.email,
                account.password,
                &next,
            )
            .await
        }
        Err(error) => Err(error),
    };
    made.or_else(|error| {
        let page = CredentialsPage::register(&visitor, &next);
        with_problem(&visitor, page.typed(&account), error)
    })
}

/// The fields of a sign-up form (the setup link's too); the account speaks the visitor's
/// language.
fn account_fields<'a>(form: &'a Form, visitor: &Visitor) -> AccountForm<'a> {
    AccountForm {
        email: form.get("email").unwrap_or_default(),
        password: form.get("password").unwrap_or_default(),
        name: form.get("name").unwrap_or_default(),
        language: None,
        fallback_language: visitor.lang,
    }
}

/// `POST /logout`: ends this browser's session, or (with `session`) another of the user's.
pub async fn logout(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let current = visitor.login.as_ref().map(|l| l.id);
    let ending = match form.get("session") {
        Some(raw) => raw.parse::<LoginSessionId>().map_err(|_| not_found())?,
        None => current.ok_or_else(not_found)?,
    };
    accounts::end_session(&app, user, ending).await?;
    if Some(ending) != current {
        return Ok(see_other("/account"));
    }
    let mut response = see_other("/");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::LOGIN, visitor.secure()),
    );
    // Logging out forgets the tickets the service worker kept on this device for offline use.
    response.headers_mut().insert(
        "clear-site-data",
        axum::http::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    Ok(response)
}

struct DeviceRow {
    id: LoginSessionId,
    agent: String,
    started: String,
    state: &'static str,
    active: bool,
    this: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    name: String,
    email: String,
    language: &'static str,
    verified: bool,
    password_fields: Vec<Field>,
    devices: Vec<DeviceRow>,
}

#[derive(Deserialize, Default)]
pub struct AccountNotice {
    password: Option<String>,
    verification: Option<String>,
}

/// `GET /account`: who is logged in, the language, the password, and the sessions on each
/// device.
pub async fn account(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = lenient_query::<AccountNotice>(query);
    let w = visitor.w;
    let notice = match (query.password, query.verification) {
        (Some(_), _) => Some(w.password_changed.to_owned()),
        (None, Some(_)) => Some(w.verification_sent.to_owned()),
        (None, None) => None,
    };
    let fields = password_fields(&visitor);
    Ok(visitor.page(&account_page(&app, &visitor, notice, fields).await?))
}

fn password_fields(visitor: &Visitor) -> Vec<Field> {
    vec![
        Field::current_password(visitor),
        Field::new_password(visitor),
    ]
}

/// `POST /account/password`: the new password, given the current one; the other sessions end.
pub async fn change_password(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let session = visitor.login.as_ref().map(|l| l.id).ok_or_else(not_found)?;
    let changed = credentials::change_password(
        &app,
        user,
        session,
        form.get("current_password").unwrap_or_default(),
        form.get("new_password").unwrap_or_default(),
    )
    .await;
    let problem = match changed {
        Ok(()) => return Ok(see_other("/account?password=changed")),
        Err(error) => ApiError::from(error),
    };
    let mut fields = password_fields(&visitor);
    if !super::credentials::complain(&visitor, &mut fields, &problem) {
        return Err(problem.into());
    }
    let page = account_page(&app, &visitor, None, fields).await?;
    Ok(super::shown_again(&visitor, &page, &problem))
}

async fn account_page(
    app: &App,
    visitor: &Visitor,
    notice: Option<String>,
    password_fields: Vec<Field>,
) -> PageResult<AccountPage> {
    let user = visitor.user()?;
    let w = visitor.w;
    let now = app.clock.now();
    let current = visitor.login.as_ref().map(|l| l.id);
    let devices = app
        .store
        .list_login_sessions(user.id)
        .await?
        .into_iter()
        .take(20)
        .map(|session| {
            let state = session.state_at(now);
            DeviceRow {
                id: session.id,
                agent: session
                    .user_agent
                    .clone()
                    .unwrap_or_else(|| session.device_id.chars().take(16).collect()),
                started: visitor.lang.local_time(
                    session.created_at,
                    bilheteria_domain::locale::DEFAULT_TIME_ZONE,
                ),
                state: match state {
                    SessionState::Active => w.session_active,
                    SessionState::Ended(SessionEnd::Replaced) => w.session_replaced_short,
                    SessionState::Ended(SessionEnd::LoggedOut) => w.session_logged_out,
                    SessionState::Expired => w.session_expired,
                },
                active: state == SessionState::Active,
                this: Some(session.id) == current,
            }
        })
        .collect();
    Ok(AccountPage {
        c: visitor.chrome(notice),
        name: user.name.clone(),
        email: user.email.clone(),
        language: user.language.as_str(),
        verified: user.email_verified,
        password_fields,
        devices,
    })
}

/// `POST /account/language`: the language of the account's mails, and of these pages.
pub async fn set_language(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    let form = visitor.form(&body)?;
    let user: &User = visitor.user()?;
    let tag = form.get("language").unwrap_or_default();
    let updated = accounts::set_language(&app, user, tag).await?;
    let mut response = see_other("/account");
    visitor.set_cookie(
        &mut response,
        cookies::LANGUAGE,
        updated.language.as_str(),
        super::ONE_YEAR,
    );
    Ok(response)
}

fn setup_page(visitor: &Visitor, token: &str) -> CredentialsPage {
    let w = visitor.w;
    CredentialsPage {
        heading: w.setup_title,
        intro: Some(w.setup_intro),
        action: format!("/setup/{token}"),
        button: w.setup_title,
        other: None,
        ..CredentialsPage::register(visitor, "/account")
    }
}

/// `GET /setup/{token}`: the form of the first admin, while the link is unused.
pub async fn setup_form(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> PageResult {
    if !app.setup.is_valid(&token) {
        return Err(not_found());
    }
    Ok(visitor.page(&setup_page(&visitor, &token)))
}

/// `POST /setup/{token}`: makes the first admin, spends the link and logs the admin in.
pub async fn setup(
    State(app): State<App>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let account = account_fields(&form, &visitor);
    match setup::complete(&app, &token, &account).await {
        Ok(_) => log_in(
            &app,
            &visitor,
            &headers,
            account.email,
            account.password,
            "/account",
        )
        .await
        .map_err(PageError::from),
        Err(AppError::NotFound(_)) => Err(not_found()),
        Err(error) => {
            let page = setup_page(&visitor, &token);
            with_problem(&visitor, page.typed(&account), error)
        }
    }
}
