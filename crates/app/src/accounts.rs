//! Accounts and login sessions (S5, C2): sign-up, the command line's accounts, login, and the
//! caller a bearer token stands for.

use crate::App;
use crate::auth::{PasswordHasher, new_token, token_hash};
use crate::error::{AppError, AppResult, NotAuthenticated};
use bilheteria_domain::account::{
    DeviceId, Email, LoginSession, Password, Roles, SessionEnd, SessionState, User, parse_name,
};
use bilheteria_domain::ids::LoginSessionId;
use bilheteria_domain::locale::Language;
use bilheteria_domain::{FieldErrors, FieldProblem};
use bilheteria_store::{NewLoginSession, NewUser};
use time::OffsetDateTime;

/// What a language given by name must be.
const LANGUAGES: FieldProblem = FieldProblem::NotOneOf {
    choices: &["pt-BR", "en"],
};

/// What a person types to get an account.
pub struct AccountForm<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
    /// A language tag (`pt-BR`, `en`); absent, the one the channel guessed (`fallback`).
    pub language: Option<&'a str>,
    pub fallback_language: Language,
}

/// Checks every field of `form` (all errors at once) and hashes its password: the account to
/// create, for a sign-up and for the command line alike.
pub async fn account_to_create(
    form: &AccountForm<'_>,
    roles: Roles,
    passwords: &PasswordHasher,
    now: OffsetDateTime,
) -> AppResult<NewUser> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(form.email));
    let password = errors.check("password", Password::parse(form.password));
    let name = errors.check("name", parse_name(form.name));
    let language = match form.language {
        None => Some(form.fallback_language),
        Some(tag) => errors.check("language", Language::parse(tag).ok_or(LANGUAGES)),
    };
    let (email, password, name, language) =
        errors.finish(|| Some((email?, password?, name?, language?)))?;
    let password_hash = passwords
        .hash(&password)
        .await
        .map_err(AppError::internal)?;
    Ok(NewUser {
        email: email.as_str().to_owned(),
        email_normalized: email.normalized().to_owned(),
        name,
        password_hash,
        roles,
        language,
        // Made by the operator (the command line, the demo, the setup link): taken as given.
        // A sign-up confirms its address through the mail (`register`).
        email_verified: true,
        created_at: now,
    })
}

/// `PATCH /me`: the caller's language (`pt-BR` or `en`), for mails and pages.
pub async fn set_language(app: &App, user: &User, tag: &str) -> AppResult<User> {
    let language =
        Language::parse(tag).ok_or_else(|| FieldErrors::single("language", LANGUAGES))?;
    Ok(app.store.set_language(user.id, language).await?)
}

/// A customer's sign-up from `ip` (limited per address, before any work).
pub async fn register(app: &App, form: &AccountForm<'_>, ip: Option<&str>) -> AppResult<User> {
    if let Err(wait) = app.login_limits.check_registration(ip) {
        metrics::counter!("accounts_registered_total", "outcome" => "rate_limited").increment(1);
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        });
    }
    let account = NewUser {
        email_verified: false,
        ..account_to_create(form, Roles::customer(), &app.passwords, app.clock.now()).await?
    };
    let user = app.store.create_user(account, None).await?;
    metrics::counter!("accounts_registered_total").increment(1);
    if let Err(error) = crate::credentials::send_verification(app, &user, None).await {
        tracing::warn!(user = %user.id, %error, "no address confirmation at sign-up");
    }
    Ok(user)
}

/// A login attempt.
pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub device: DeviceId,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A new login session: its token is shown once, and stored only as a hash.
pub struct LoggedIn {
    pub token: String,
    pub session: LoginSession,
    pub user: User,
}

/// Logs in: the same refusal for an unknown email and a wrong password; a success ends every
/// other session of the user and of the device (C2).
pub async fn login(app: &App, attempt: LoginAttempt<'_>) -> AppResult<LoggedIn> {
    let account_key = Email::normalize(attempt.email);
    if let Err(wait) = app.login_limits.check(&account_key, attempt.ip.as_deref()) {
        metrics::counter!("auth_logins_total", "outcome" => "rate_limited").increment(1);
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        });
    }
    let credentials = app.store.find_credentials(&account_key).await?;
    let (user, stored_hash) = match credentials {
        Some(c) => (Some(c.user), Some(c.password_hash)),
        None => (None, None),
    };
    // Verified even without an account, so that both refusals take the same time.
    let valid = app
        .passwords
        .verify(attempt.password, stored_hash)
        .await
        .map_err(AppError::internal)?;
    let Some(user) = user.filter(|_| valid) else {
        metrics::counter!("auth_logins_total", "outcome" => "invalid_credentials").increment(1);
        return Err(AppError::InvalidCredentials);
    };
    let token = new_token().map_err(AppError::internal)?;
    let now = app.clock.now();
    let session = app
        .store
        .start_login_session(NewLoginSession {
            user_id: user.id,
            token_hash: token_hash(&token),
            device_id: attempt.device.as_str().to_owned(),
            ip: attempt.ip,
            user_agent: attempt.user_agent,
            created_at: now,
            expires_at: now + app.settings.session_ttl,
        })
        .await?;
    metrics::counter!("auth_logins_total", "outcome" => "success").increment(1);
    Ok(LoggedIn {
        token,
        session,
        user,
    })
}

/// Ends login session `id` of `user` (the current one, or another device's from the list of
/// their sessions); someone else's session is not found.
pub async fn end_session(app: &App, user: &User, id: LoginSessionId) -> AppResult<()> {
    let sessions = app.store.list_login_sessions(user.id).await?;
    if !sessions.iter().any(|s| s.id == id) {
        return Err(AppError::NotFound("login session"));
    }
    Ok(app.store.end_login_session(id, app.clock.now()).await?)
}

/// The user and active login session a bearer token stands for.
pub async fn authenticate(app: &App, token: &str) -> AppResult<(User, LoginSession)> {
    let found = app.store.find_login_session(&token_hash(token)).await?;
    let Some((session, user)) = found else {
        return Err(AppError::NotAuthenticated(NotAuthenticated::UnknownToken));
    };
    match session.state_at(app.clock.now()) {
        SessionState::Active => Ok((user, session)),
        SessionState::Ended(SessionEnd::Replaced) => Err(AppError::SessionReplaced),
        SessionState::Ended(SessionEnd::LoggedOut) => {
            Err(AppError::NotAuthenticated(NotAuthenticated::LoggedOut))
        }
        SessionState::Expired => Err(AppError::NotAuthenticated(NotAuthenticated::Expired)),
    }
}
