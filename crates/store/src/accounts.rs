//! The SQL of accounts and login sessions (C2). Compiled twice, like `shared.rs`.

use super::shared::*;
use super::{Db, ThisBackend};
use crate::AccountStore;
use crate::dialect::Dialect;
use crate::{
    Credentials, NewAccountToken, NewLoginSession, NewUser, StoreError, StoreResult, TokenPurpose,
    is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::account::{LoginSession, Roles, User};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{LoginSessionId, UserId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::page::{Page, PageRequest};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use time::OffsetDateTime;

#[async_trait]
impl AccountStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_user(&self, user: NewUser, audit: Option<&AuditContext>) -> StoreResult<User> {
        let id = UserId::new();
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let inserted = sqlx::query(
                "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, \
                 created_at, language, email_verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id.0)
            .bind(&user.email)
            .bind(&user.email_normalized)
            .bind(&user.name)
            .bind(user.name.to_lowercase())
            .bind(&user.password_hash)
            .bind(user.roles.bits())
            .bind(to_micros(user.created_at))
            .bind(user.language.as_str())
            .bind(user.email_verified.then(|| to_micros(user.created_at)))
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(error) if is_unique_violation(&error) => return Err(StoreError::EmailTaken),
                other => other?,
            };
            let created = User {
                id,
                email: user.email,
                name: user.name,
                roles: user.roles.to_vec(),
                language: user.language,
                email_verified: user.email_verified,
                created_at: from_micros(to_micros(user.created_at)),
            };
            if let Some(context) = audit {
                append_audit(
                    &mut tx,
                    context,
                    user.created_at,
                    Change::created("user.created", "user", id, &created),
                )
                .await?;
            }
            Ok::<_, StoreError>(created)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn find_credentials(&self, email_normalized: &str) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(""),
            ", password_hash FROM users WHERE email_normalized = $1"
        ))
        .bind(email_normalized)
        .fetch_optional(self.reader())
        .await?;
        row.map(|row| {
            Ok(Credentials {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
        .map_err(|error: sqlx::Error| error.into())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(""),
            " FROM users WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_roles(&self, id: UserId, roles: Roles, audit: &AuditContext) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let before = sqlx::query(AssertSqlSafe(format!(
                "SELECT {} FROM users WHERE id = $1{}",
                user_columns!(""),
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let before = user_from_row(&before)?;
            sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
                .bind(roles.bits())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let after = User {
                roles: roles.to_vec(),
                ..before.clone()
            };
            append_audit(
                &mut tx,
                audit,
                OffsetDateTime::now_utc(),
                Change {
                    action: "user.roles_changed",
                    target_type: "user",
                    target_id: id.to_string(),
                    before: to_json(&serde_json::json!({ "roles": before.roles })),
                    after: to_json(&serde_json::json!({ "roles": after.roles })),
                },
            )
            .await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        let after = finish(tx, outcome).await?;
        // Caches logins carry their user's roles; a change of roles is rare.
        self.caches.logins.forget_all();
        Ok(after)
    }

    async fn set_language(&self, id: UserId, language: Language) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
                .bind(language.as_str())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let user = sqlx::query(concat!(
                "SELECT ",
                user_columns!(""),
                " FROM users WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let sessions = sqlx::query(
                "SELECT token_hash FROM login_sessions WHERE user_id = $1 AND ended_at IS NULL",
            )
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            Ok::<_, StoreError>((user_from_row(&user)?, sessions))
        }
        .await;
        let (user, sessions) = finish(tx, outcome).await?;
        // Cached logins carry their user: this user's are read again.
        self.forget_logins(&sessions)?;
        Ok(user)
    }

    async fn create_account_token(&self, token: NewAccountToken) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.token_hash)
        .bind(token.user_id.0)
        .bind(token.purpose.as_str())
        .bind(to_micros(token.created_at))
        .bind(to_micros(token.expires_at))
        .execute(&mut *tx)
        .await
        .map(drop)
        .map_err(StoreError::from);
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn use_account_token(
        &self,
        token_hash: &[u8],
        purpose: TokenPurpose,
        password_hash: Option<&str>,
        at: OffsetDateTime,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            // Marking it used is the lock: of two uses at once, one updates the row.
            let used = sqlx::query(
                "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
                 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(to_micros(at))
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(used) = used else {
                return Ok::<_, StoreError>(None);
            };
            let user_id: uuid::Uuid = used.try_get("user_id")?;
            let ended = match (purpose, password_hash) {
                (TokenPurpose::PasswordReset, Some(hash)) => {
                    change_password(&mut tx, user_id, hash, None, at).await?
                }
                (TokenPurpose::PasswordReset, None) => {
                    return Err(StoreError::Database {
                        message: "a password reset without a password".into(),
                        transient: false,
                    });
                }
                (TokenPurpose::VerifyEmail, _) => {
                    sqlx::query(
                        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) \
                         WHERE id = $2",
                    )
                    .bind(to_micros(at))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "SELECT token_hash FROM login_sessions WHERE user_id = $1 AND ended_at IS NULL",
                    )
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await?
                }
            };
            let user = sqlx::query(concat!(
                "SELECT ",
                user_columns!(""),
                " FROM users WHERE id = $1"
            ))
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            Ok(Some((user_from_row(&user)?, ended)))
        }
        .await;
        let Some((user, ended)) = finish(tx, outcome).await? else {
            return Ok(None);
        };
        // Cached logins carry their user (now verified) or are ended.
        self.forget_logins(&ended)?;
        Ok(Some(user))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep: Option<LoginSessionId>,
        at: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = change_password(&mut tx, id.0, password_hash, keep, at)
            .await
            .map_err(StoreError::from);
        let ended = finish(tx, outcome).await?;
        self.forget_logins(&ended)?;
        Ok(())
    }

    async fn list_users(
        &self,
        prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<User>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            user_columns!(""),
            " FROM users WHERE 1 = 1"
        ));
        if let Some(prefix) = prefix.map(str::to_lowercase).filter(|p| !p.is_empty()) {
            // A range on the normalised columns is a prefix match that uses their B-trees.
            let upper = format!("{prefix}\u{10FFFF}");
            query.push(" AND ((email_normalized >= ");
            query.push_bind(prefix.clone());
            query.push(" AND email_normalized < ");
            query.push_bind(upper.clone());
            query.push(") OR (name_normalized >= ");
            query.push_bind(prefix);
            query.push(" AND name_normalized < ");
            query.push_bind(upper);
            query.push("))");
        }
        if let Some(after) = after {
            query.push(" AND id > ");
            query.push_bind(after);
        }
        query.push(" ORDER BY id LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(users, page.limit, |user| {
            user.id.to_string()
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn start_login_session(&self, session: NewLoginSession) -> StoreResult<LoginSession> {
        let created_at = to_micros(session.created_at);
        let expires_at = to_micros(session.expires_at);
        // A concurrent login of the same user or device can win the unique index between our
        // UPDATE and INSERT; ending it in a fresh transaction then makes ours the only one.
        for attempt in 0..3 {
            let id = LoginSessionId::new();
            let mut tx = self.begin_write().await?;
            let started = async {
                let replaced = sqlx::query(
                    "UPDATE login_sessions SET ended_at = $1, end_reason = 'replaced' \
                     WHERE ended_at IS NULL AND (user_id = $2 OR device_id = $3) RETURNING token_hash",
                )
                .bind(created_at)
                .bind(session.user_id.0)
                .bind(&session.device_id)
                .fetch_all(&mut *tx)
                .await?;
                let inserted = sqlx::query(
                    "INSERT INTO login_sessions (id, user_id, token_hash, device_id, ip, user_agent, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.0)
                .bind(session.user_id.0)
                .bind(&session.token_hash)
                .bind(&session.device_id)
                .bind(&session.ip)
                .bind(&session.user_agent)
                .bind(created_at)
                .bind(expires_at)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Err(error) if is_unique_violation(&error) && attempt < 2 => {
                        Ok(Ending::Rollback(None))
                    }
                    Err(error) => Err(error.into()),
                    Ok(_) => Ok(Ending::Commit(Some(replaced))),
                }
            }
            .await;
            let Some(replaced) = end(tx, started).await? else {
                continue;
            };
            self.forget_logins(&replaced)?;
            return Ok(LoginSession {
                id,
                user_id: session.user_id,
                device_id: session.device_id,
                ip: session.ip,
                user_agent: session.user_agent,
                created_at: from_micros(created_at),
                expires_at: from_micros(expires_at),
                ended_at: None,
                end_reason: None,
            });
        }
        Err(StoreError::database(
            "login kept colliding with concurrent logins",
        ))
    }

    async fn find_login_session(
        &self,
        token_hash: &[u8],
    ) -> StoreResult<Option<(LoginSession, User)>> {
        let stamp = match self.caches.logins.get(token_hash) {
            Ok(login) => return Ok(Some(login)),
            Err(stamp) => stamp,
        };
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.device_id, s.ip, s.user_agent, s.created_at, s.expires_at, \
             s.ended_at, s.end_reason, u.email, u.name, u.roles, u.language, u.email_verified_at, u.created_at AS user_created_at \
             FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = login_session_from_row(&row)?;
        let user = User {
            id: session.user_id,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            roles: Roles::from_bits(row.try_get("roles")?).to_vec(),
            language: language_from_row(&row)?,
            email_verified: row
                .try_get::<Option<i64>, _>("email_verified_at")?
                .is_some(),
            created_at: from_micros(row.try_get("user_created_at")?),
        };
        let login = (session, user);
        self.caches.logins.put(stamp, token_hash.to_vec(), &login);
        Ok(Some(login))
    }

    async fn create_logged_in_buyers(
        &self,
        buyers: Vec<(NewUser, NewLoginSession)>,
        audit: &AuditContext,
    ) -> StoreResult<Vec<User>> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let mut created = Vec::with_capacity(buyers.len());
            for chunk in buyers.chunks(500) {
                let ids: Vec<UserId> = chunk.iter().map(|_| UserId::new()).collect();
                let mut users = QueryBuilder::<Db>::new(
                    "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, created_at, \
                     language) ",
                );
                users.push_values(chunk.iter().zip(&ids), |mut values, ((user, _), id)| {
                    values
                        .push_bind(id.0)
                        .push_bind(user.email.clone())
                        .push_bind(user.email_normalized.clone())
                        .push_bind(user.name.clone())
                        .push_bind(user.name.to_lowercase())
                        .push_bind(user.password_hash.clone())
                        .push_bind(user.roles.bits())
                        .push_bind(to_micros(user.created_at))
                        .push_bind(user.language.as_str());
                });
                match users.build().execute(&mut *tx).await {
                    Err(error) if is_unique_violation(&error) => return Err(StoreError::EmailTaken),
                    other => other?,
                };
                let mut sessions = QueryBuilder::<Db>::new(
                    "INSERT INTO login_sessions (id, user_id, token_hash, device_id, ip, user_agent, created_at, expires_at) ",
                );
                sessions.push_values(chunk.iter().zip(&ids), |mut values, ((_, session), id)| {
                    values
                        .push_bind(LoginSessionId::new().0)
                        .push_bind(id.0)
                        .push_bind(session.token_hash.clone())
                        .push_bind(session.device_id.clone())
                        .push_bind(session.ip.clone())
                        .push_bind(session.user_agent.clone())
                        .push_bind(to_micros(session.created_at))
                        .push_bind(to_micros(session.expires_at));
                });
                sessions.build().execute(&mut *tx).await?;
                for ((user, _), id) in chunk.iter().zip(ids) {
                    created.push(User {
                        id,
                        email: user.email.clone(),
                        name: user.name.clone(),
                        roles: user.roles.to_vec(),
                        language: user.language,
                        // Rehearsal buyers never confirm an address.
                        email_verified: false,
                        created_at: from_micros(to_micros(user.created_at)),
                    });
                }
            }
            let summary = serde_json::json!({ "buyers": created.len() });
            let at = buyers
                .first()
                .map_or_else(OffsetDateTime::now_utc, |(user, _)| user.created_at);
            let change = Change {
                action: "loadtest.buyers_created",
                target_type: "user",
                target_id: format!("{} accounts", created.len()),
                before: None,
                after: to_json(&summary),
            };
            append_audit(&mut tx, audit, at, change).await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn end_login_session(&self, id: LoginSessionId, at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let ended = sqlx::query(
                "UPDATE login_sessions SET ended_at = $1, end_reason = 'logged_out' WHERE id = $2 AND ended_at IS NULL \
                 RETURNING token_hash",
            )
            .bind(to_micros(at))
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            Ok::<_, StoreError>(ended)
        }
        .await;
        let ended = finish(tx, outcome).await?;
        self.forget_logins(&ended)?;
        Ok(())
    }

    async fn list_login_sessions(&self, user_id: UserId) -> StoreResult<Vec<LoginSession>> {
        let rows = sqlx::query(
            "SELECT id, user_id, device_id, ip, user_agent, created_at, expires_at, ended_at, end_reason \
             FROM login_sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .bind(user_id.0)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(login_session_from_row)
            .collect::<Result<_, _>>()?)
    }
}

/// Sets a password and ends the user's active sessions but `keep`; answers the ended sessions'
/// token hashes, for the login cache to forget.
async fn change_password(
    tx: &mut super::Tx,
    user_id: uuid::Uuid,
    password_hash: &str,
    keep: Option<LoginSessionId>,
    at: OffsetDateTime,
) -> Result<Vec<DbRow>, sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let keep = keep.map(|id| id.0);
    sqlx::query(
        "UPDATE login_sessions SET ended_at = $1, end_reason = 'logged_out' WHERE user_id = $2 \
         AND ended_at IS NULL AND ($3 IS NULL OR id <> $3) RETURNING token_hash",
    )
    .bind(to_micros(at))
    .bind(user_id)
    .bind(keep)
    .fetch_all(&mut **tx)
    .await
}
