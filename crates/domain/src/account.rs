//! Accounts: who a user is, what they may do, and the login sessions they hold.

use crate::ids::{LoginSessionId, UserId};
use crate::locale::Language;
use crate::validation::{FieldProblem, count, token};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An email address, trimmed; compared and stored for uniqueness by [`Email::normalize`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldProblem::Empty);
        }
        if value.len() > 254 {
            return Err(FieldProblem::TooLong { max: 254 });
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(FieldProblem::NotAnEmail);
        };
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        if !well_formed {
            return Err(FieldProblem::NotAnEmail);
        }
        Ok(Self {
            display: value.to_owned(),
            normalized: Self::normalize(value),
        })
    }

    /// The key for uniqueness and look-up: Unicode compatibility form (NFKC), so that look-alike
    /// spellings such as fullwidth letters are the same address, then lower case.
    pub fn normalize(raw: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        raw.trim().nfkc().collect::<String>().to_lowercase()
    }

    /// As the user typed it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// NFKC and lower-cased: the key for uniqueness and look-up.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// A password as typed. Never logged; its `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Bounded so that hashing cost cannot be driven up by huge inputs.
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldProblem::TooShort {
                min: count(Self::MIN_CHARS),
            });
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldProblem::TooLong {
                max: count(Self::MAX_CHARS),
            });
        }
        // Spaces may be part of a passphrase, but they do not make one.
        if raw.chars().filter(|c| !c.is_whitespace()).count() < Self::MIN_CHARS {
            return Err(FieldProblem::MostlySpaces {
                min: count(Self::MIN_CHARS),
            });
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

pub fn parse_name(raw: &str) -> Result<String, FieldProblem> {
    crate::validation::text(raw, 1, 100)
}

/// The client-chosen identifier of a device (C2): 8..128 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// Says what is wrong with a bad id: a character it may not hold (named), or its length.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        token(raw, Self::MIN_CHARS, Self::MAX_CHARS).map(|id| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    PartialOrd,
    Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Organizer,
    Staff,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Customer, Role::Organizer, Role::Staff, Role::Admin];

    /// The role's bit in a stored role set (`users.roles`).
    pub fn bit(self) -> i64 {
        match self {
            Role::Customer => 1,
            Role::Organizer => 2,
            Role::Staff => 4,
            Role::Admin => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Organizer => "organizer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or(FieldProblem::NotOneOf {
                choices: &["customer", "organizer", "staff", "admin"],
            })
    }
}

/// The set of roles of a user. Every user is a customer; the others are granted by an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles(i64);

impl Roles {
    pub fn customer() -> Self {
        Self(Role::Customer.bit())
    }

    pub fn from_roles(roles: impl IntoIterator<Item = Role>) -> Self {
        roles
            .into_iter()
            .fold(Self::customer(), |acc, role| Self(acc.0 | role.bit()))
    }

    /// From the stored bit set; unknown bits are dropped.
    pub fn from_bits(bits: i64) -> Self {
        Self::from_roles(Role::ALL.into_iter().filter(|role| bits & role.bit() != 0))
    }

    pub fn bits(self) -> i64 {
        self.0
    }

    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn to_vec(self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|role| self.has(*role))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// What mails (and pages) are written in: `pt-BR` (the default) or `en`.
    pub language: Language,
    /// Whether the owner of `email` confirmed it through the link mailed to it.
    pub email_verified: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Why a login session is no longer active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    /// A later login of the same user, or on the same device, replaced it (C2).
    Replaced,
    LoggedOut,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Replaced => "replaced",
            SessionEnd::LoggedOut => "logged_out",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "replaced" => Some(SessionEnd::Replaced),
            "logged_out" => Some(SessionEnd::LoggedOut),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoginSession {
    pub id: LoginSessionId,
    pub user_id: UserId,
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
}

impl LoginSession {
    /// The state of the session at `now`: active, or why it is not.
    pub fn state_at(&self, now: OffsetDateTime) -> SessionState {
        match (self.end_reason, self.ended_at) {
            (Some(reason), _) => SessionState::Ended(reason),
            (None, Some(_)) => SessionState::Ended(SessionEnd::LoggedOut),
            (None, None) if self.expires_at <= now => SessionState::Expired,
            (None, None) => SessionState::Active,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    Active,
    Expired,
    Ended(SessionEnd),
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn emails_are_trimmed_and_compared_in_lower_case() {
        let email = Email::parse("  Ana.Silva@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ana.Silva@Example.COM");
        assert_eq!(email.normalized(), "ana.silva@example.com");
    }

    #[test]
    fn look_alike_emails_are_one_address() {
        let plain = Email::parse("admin@example.com").unwrap();
        let fullwidth = Email::parse("\u{ff41}dmin@example.com").unwrap();
        assert_eq!(
            fullwidth.as_str(),
            "\u{ff41}dmin@example.com",
            "shown as typed"
        );
        assert_eq!(fullwidth.normalized(), plain.normalized());
        assert_eq!(Email::normalize(" ADMIN@Example.com "), "admin@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "ana@",
            "ana@localhost",
            "ana@.com",
            "ana@example..com",
            "a na@example.com",
            "ana@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn password_bounds_count_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("        ").is_err(), "eight spaces");
        assert!(Password::parse(" a b c d e f g ").is_err(), "seven letters");
        assert!(
            Password::parse("correct horse").is_ok(),
            "spaces inside count"
        );
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass").unwrap()),
            "Password(<hidden>)"
        );
    }

    #[test]
    fn device_ids_are_bounded_and_plain() {
        assert!(DeviceId::parse("phone-0001").is_ok());
        assert!(DeviceId::parse("short").is_err());
        assert!(DeviceId::parse(&"d".repeat(129)).is_err());
        assert!(DeviceId::parse("device with spaces").is_err());
        assert!(DeviceId::parse("device\u{0}nul00").is_err());
        assert_eq!(
            DeviceId::parse("dispositivo-é").unwrap_err(),
            FieldProblem::InvalidCharacters { found: 'é' }
        );
        assert_eq!(
            DeviceId::parse("1234567").unwrap_err(),
            FieldProblem::LengthOutOfRange {
                min: 8,
                max: 128,
                len: 7
            }
        );
        assert_eq!(
            DeviceId::parse(&"d".repeat(129)).unwrap_err(),
            FieldProblem::LengthOutOfRange {
                min: 8,
                max: 128,
                len: 129
            }
        );
        assert_eq!(
            DeviceId::parse("tab\there00").unwrap_err(),
            FieldProblem::InvalidCharacters { found: '\t' }
        );
    }

    #[test]
    fn roles_always_include_customer() {
        let roles = Roles::from_roles([Role::Admin]);
        assert!(roles.has(Role::Customer));
        assert!(roles.has(Role::Admin));
        assert!(!roles.has(Role::Organizer));
        assert_eq!(Roles::from_bits(roles.bits()), roles);
        assert_eq!(Roles::from_bits(0).to_vec(), vec![Role::Customer]);
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn session_state_prefers_an_explicit_end_over_expiry() {
        let now = datetime!(2026-06-01 12:00 UTC);
        let mut session = LoginSession {
            id: LoginSessionId::new(),
            user_id: UserId::new(),
            device_id: "device-01".into(),
            ip: None,
            user_agent: None,
            created_at: now,
            expires_at: now + time::Duration::hours(1),
            ended_at: None,
            end_reason: None,
        };
        assert_eq!(session.state_at(now), SessionState::Active);
        assert_eq!(
            session.state_at(now + time::Duration::hours(2)),
            SessionState::Expired
        );
        session.ended_at = Some(now);
        session.end_reason = Some(SessionEnd::Replaced);
        assert_eq!(
            session.state_at(now),
            SessionState::Ended(SessionEnd::Replaced)
        );
    }
}
