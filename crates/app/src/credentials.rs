//! Passwords and addresses: changing a password, resetting a
//! forgotten one through a single-use link mailed to the account's address (valid one hour),
//! and confirming an address through a link mailed at sign-up (or again on request).
//!
//! Only SHA-256 of a link's token is stored. These mails are sent at once rather than through
//! the outbox, because the outbox keeps what a mail is made from and a token must not be kept:
//! a lost one is asked for again. A reset is answered the same whether the address has an
//! account or not, and its mail is sent after the answer, so that the time taken tells nothing.

use crate::App;
use crate::auth::{new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::mails;
use crate::ratelimit::KeyedLimiter;
use bilheteria_domain::account::{Email, Password, User};
use bilheteria_domain::ids::LoginSessionId;
use bilheteria_domain::{FieldErrors, FieldProblem};
use bilheteria_store::{NewAccountToken, TokenPurpose};

/// How long a password-reset link works.
pub const RESET_VALID_FOR: time::Duration = time::Duration::hours(1);
/// How long an address-confirmation link works.
pub const VERIFY_VALID_FOR: time::Duration = time::Duration::days(7);

/// Mails asked for per address (whether or not it has an account) and per client address, and
/// password changes per account (against guessing the current password).
pub struct CredentialLimits {
    per_address: KeyedLimiter,
    per_ip: KeyedLimiter,
    changes_per_account: KeyedLimiter,
}

impl Default for CredentialLimits {
    fn default() -> Self {
        Self {
            per_address: KeyedLimiter::per_minute(2),
            per_ip: KeyedLimiter::per_minute(10),
            changes_per_account: KeyedLimiter::per_minute(5),
        }
    }
}

impl CredentialLimits {
    /// Counts a mail of `purpose` to `address` asked for from `ip`.
    fn check_mail(&self, purpose: TokenPurpose, address: &str, ip: Option<&str>) -> AppResult<()> {
        let ip_checked = ip.map_or(Ok(()), |ip| self.per_ip.check(ip));
        ip_checked
            .and_then(|()| {
                self.per_address
                    .check(&format!("{}:{address}", purpose.as_str()))
            })
            .map_err(|wait| AppError::RateLimited {
                retry_after_secs: wait.as_secs() + 1,
            })
    }

    pub fn forget_idle(&self) {
        self.per_address.forget_idle();
        self.per_ip.forget_idle();
        self.changes_per_account.forget_idle();
    }
}

/// `POST /auth/password`: the logged-in user's new password; their other sessions end.
pub async fn change_password(
    app: &App,
    user: &User,
    session: LoginSessionId,
    current: &str,
    new: &str,
) -> AppResult<()> {
    app.credential_limits
        .changes_per_account
        .check(&user.id.to_string())
        .map_err(|wait| AppError::RateLimited {
            retry_after_secs: wait.as_secs() + 1,
        })?;
    let mut errors = FieldErrors::new();
    let new = errors.check("new_password", Password::parse(new));
    let stored = app
        .store
        .find_credentials(&Email::normalize(&user.email))
        .await?
        .map(|found| found.password_hash);
    let valid = app
        .passwords
        .verify(current, stored)
        .await
        .map_err(AppError::internal)?;
    if !valid {
        errors.add("current_password", FieldProblem::WrongPassword);
    }
    let new = errors.finish(|| new)?;
    let hash = app.passwords.hash(&new).await.map_err(AppError::internal)?;
    app.store
        .set_password(user.id, &hash, Some(session), app.clock.now())
        .await?;
    metrics::counter!("auth_password_changes_total").increment(1);
    Ok(())
}

/// A fresh token for `user`, stored as its hash: the token itself, for the link.
async fn issue(
    app: &App,
    user: &User,
    purpose: TokenPurpose,
    valid_for: time::Duration,
) -> AppResult<String> {
    let token = new_token().map_err(AppError::internal)?;
    let now = app.clock.now();
    app.store
        .create_account_token(NewAccountToken {
            token_hash: token_hash(&token),
            user_id: user.id,
            purpose,
            created_at: now,
            expires_at: now + valid_for,
        })
        .await?;
    Ok(token)
}

/// `POST /auth/password-reset`: mails a reset link to `email` if it has an account; the
/// answer is the same either way.
pub async fn request_password_reset(app: &App, email: &str, ip: Option<&str>) -> AppResult<()> {
    // Only the shape of the address is judged here, which says nothing of whether it has an
    // account; what is not an address could never have one.
    let address = Email::parse(email)
        .map_err(|why| FieldErrors::single("email", why))?
        .normalized()
        .to_owned();
    app.credential_limits
        .check_mail(TokenPurpose::PasswordReset, &address, ip)?;
    let app = app.clone();
    // Everything past the answer happens after it, so an address with an account is not
    // answered more slowly than one without.
    tokio::spawn(async move {
        if let Err(error) = send_reset(&app, &address).await {
            tracing::warn!(%error, "password reset mail not sent");
        }
    });
    metrics::counter!("auth_password_resets_requested_total").increment(1);
    Ok(())
}

async fn send_reset(app: &App, address: &str) -> anyhow::Result<()> {
    let Some(found) = app.store.find_credentials(address).await? else {
        return Ok(());
    };
    let token = issue(
        app,
        &found.user,
        TokenPurpose::PasswordReset,
        RESET_VALID_FOR,
    )
    .await
    .map_err(|error| anyhow::anyhow!("{error}"))?;
    let link = format!("{}/password-reset/{token}", app.settings.public_url);
    let letter = mails::password_reset_letter(&link, found.user.language);
    app.mail
        .send(letter.into_email(
            found.user.email,
            format!("password-reset-{}", found.user.id),
        )?)
        .await
}

/// `POST /auth/password-reset/{token}`: the new password; every session of the user ends.
pub async fn reset_password(app: &App, token: &str, new: &str) -> AppResult<User> {
    let new = Password::parse(new).map_err(|why| FieldErrors::single("new_password", why))?;
    let hash = app.passwords.hash(&new).await.map_err(AppError::internal)?;
    let user = app
        .store
        .use_account_token(
            &token_hash(token),
            TokenPurpose::PasswordReset,
            Some(&hash),
            app.clock.now(),
        )
        .await?
        .ok_or(AppError::InvalidToken)?;
    metrics::counter!("auth_password_resets_total").increment(1);
    Ok(user)
}

/// Mails `user` a link that confirms their address (at sign-up, and on request while it is
/// unconfirmed). A mail that cannot be sent is logged: the account stands, and the link can be
/// asked for again.
pub async fn send_verification(app: &App, user: &User, ip: Option<&str>) -> AppResult<()> {
    if user.email_verified {
        return Ok(());
    }
    app.credential_limits.check_mail(
        TokenPurpose::VerifyEmail,
        &Email::normalize(&user.email),
        ip,
    )?;
    let token = issue(app, user, TokenPurpose::VerifyEmail, VERIFY_VALID_FOR).await?;
    let link = format!("{}/verify-email/{token}", app.settings.public_url);
    let letter = mails::verify_email_letter(&link, &user.name, user.language);
    let sent = match letter.into_email(user.email.clone(), format!("verify-email-{}", user.id)) {
        Ok(email) => app.mail.send(email).await,
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
        tracing::warn!(user = %user.id, %error, "address confirmation mail not sent");
    }
    Ok(())
}

/// `POST /auth/verify-email/{token}`: the account's address is confirmed.
pub async fn verify_email(app: &App, token: &str) -> AppResult<User> {
    let user = app
        .store
        .use_account_token(
            &token_hash(token),
            TokenPurpose::VerifyEmail,
            None,
            app.clock.now(),
        )
        .await?
        .ok_or(AppError::InvalidToken)?;
    metrics::counter!("auth_emails_verified_total").increment(1);
    // An address invited to a team joins it now that it is known to be theirs.
    crate::organizations::accept_invitations(app, &user).await?;
    Ok(user)
}
