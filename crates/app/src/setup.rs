//! The first run: a box office without an admin logs a one-time setup link; whoever opens it
//! makes the first admin in a page, without the command line. Other accounts do not close it:
//! after `seed --demo` there is a demo organizer and still nobody to run the box office. The link
//! lives in memory until used (a restart of a box office still without an admin logs a new one).

use crate::accounts::{AccountForm, account_to_create};
use crate::auth::new_token;
use crate::{App, AppError, AppResult};
use bilheteria_domain::account::{Role, Roles, User};
use bilheteria_domain::audit::AuditContext;
use std::sync::Mutex;

#[derive(Default)]
pub struct SetupLink {
    token: Mutex<Option<String>>,
}

impl SetupLink {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `token` is the link's (compared in full; there is none once used).
    pub fn is_valid(&self, token: &str) -> bool {
        self.lock().as_deref().is_some_and(|t| t == token)
    }
}

/// When the box office has no admin yet, a new setup token (the path of the link is
/// `/setup/{token}`); `None` when it has one.
pub async fn prepare(app: &App) -> AppResult<Option<String>> {
    if app.store.any_user_has_role(Role::Admin).await? {
        return Ok(None);
    }
    let token = new_token().map_err(|e| AppError::Internal(e.to_string()))?;
    *app.setup.lock() = Some(token.clone());
    Ok(Some(token))
}

/// Makes the first admin with the setup link's `token`, which is spent: a second use, or a
/// use racing this one, finds no link.
pub async fn complete(app: &App, token: &str, form: &AccountForm<'_>) -> AppResult<User> {
    let roles = Roles::from_roles([Role::Customer, Role::Organizer, Role::Admin]);
    // Checked (and hashed) before the link is spent, so a form with a mistake can be fixed.
    let account = account_to_create(form, roles, &app.passwords, app.clock.now()).await?;
    let spent = {
        let mut link = app.setup.lock();
        match link.as_deref() {
            Some(t) if t == token => link.take(),
            _ => None,
        }
    };
    if spent.is_none() {
        return Err(AppError::NotFound("setup link"));
    }
    let created = app
        .store
        .create_user(account, Some(&AuditContext::default()))
        .await;
    if created.is_err() {
        // Nothing was made: the link stays usable.
        *app.setup.lock() = spent;
    }
    Ok(created?)
}
