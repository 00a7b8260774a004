//! Organizations (producers) and their teams: venues, events and products belong to an
//! organization, and its members each hold one role, optionally limited to some events.
//!
//! What each role may do is said once, here, by [`MemberRole::may`]; whether a member may act
//! on a given event by [`Membership::may`]. `app::authz` decides every request from these.

use crate::account::Email;
use crate::ids::{EventId, OrganizationId, UserId};
use crate::validation::{FieldErrors, FieldProblem, text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------------
// CPF and CNPJ

/// A Brazilian taxpayer number: a person's CPF or a company's CNPJ, kept as its bare digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    Cpf(String),
    Cnpj(String),
}

impl Document {
    /// Reads a CPF or a CNPJ, bare (`11222333000181`) or formatted as people write them
    /// (`529.982.247-25`, `11.222.333/0001-81`; dots, dashes, slashes and spaces are dropped),
    /// and checks its two check digits. Numbers of one repeated digit pass the check digits
    /// but are no one's, and are refused.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let mut digits = Vec::with_capacity(14);
        for c in raw.trim().chars() {
            match c {
                '0'..='9' => digits.push(c as u8 - b'0'),
                '.' | '-' | '/' | ' ' => {}
                _ => return Err(FieldProblem::InvalidDocument),
            }
        }
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(FieldProblem::InvalidDocument);
        }
        let bare: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        match digits.len() {
            11 if cpf_digits_ok(&digits) => Ok(Document::Cpf(bare)),
            14 if cnpj_digits_ok(&digits) => Ok(Document::Cnpj(bare)),
            _ => Err(FieldProblem::InvalidDocument),
        }
    }

    /// The bare digits.
    pub fn as_str(&self) -> &str {
        match self {
            Document::Cpf(digits) | Document::Cnpj(digits) => digits,
        }
    }
}

/// A check digit over `digits` with `weights`: the remainder of the weighted sum by 11, 0 when
/// it is under 2, else 11 less it (the rule of both the CPF and the CNPJ).
fn check_digit(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match sum % 11 {
        r if r < 2 => 0,
        r => (11 - r) as u8,
    }
}

fn cpf_digits_ok(digits: &[u8]) -> bool {
    let first = check_digit(&digits[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]);
    let second = check_digit(&digits[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[9] == first && digits[10] == second
}

fn cnpj_digits_ok(digits: &[u8]) -> bool {
    let first = check_digit(&digits[..12], &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let second = check_digit(&digits[..13], &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[12] == first && digits[13] == second
}

// ---------------------------------------------------------------------------------------------
// Roles and what they may do

/// A member's role in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Everything, the team included.
    Owner,
    /// Everything but the team.
    Manager,
    /// Sales, the borderô, exports and refunds; not the gate.
    Finance,
    /// The door only: no money, no buyer list.
    Checkin,
    /// Reads the catalog; no personal data.
    Viewer,
}

/// What a member may be allowed to do. Every back-office operation asks for one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Add, change and remove members.
    ManageTeam,
    /// Create and change venues, events, sessions and products.
    EditCatalog,
    /// Orders, sales figures, the borderô: money.
    SeeSales,
    Refund,
    /// Buyer lists and exports: personal data.
    ExportPersonalData,
    /// Check tickets in at the gate.
    RunDoor,
    /// Read the organization's catalog, drafts included.
    View,
}

impl Capability {
    pub const ALL: [Capability; 7] = [
        Capability::ManageTeam,
        Capability::EditCatalog,
        Capability::SeeSales,
        Capability::Refund,
        Capability::ExportPersonalData,
        Capability::RunDoor,
        Capability::View,
    ];
}

impl MemberRole {
    pub const ALL: [MemberRole; 5] = [
        MemberRole::Owner,
        MemberRole::Manager,
        MemberRole::Finance,
        MemberRole::Checkin,
        MemberRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Manager => "manager",
            MemberRole::Finance => "finance",
            MemberRole::Checkin => "checkin",
            MemberRole::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or(FieldProblem::NotOneOf {
                choices: &["owner", "manager", "finance", "checkin", "viewer"],
            })
    }

    /// What this role may do: the one table of the organization's permissions.
    pub fn may(self, capability: Capability) -> bool {
        use Capability as C;
        match self {
            MemberRole::Owner => true,
            MemberRole::Manager => capability != C::ManageTeam,
            MemberRole::Finance => matches!(
                capability,
                C::SeeSales | C::Refund | C::ExportPersonalData | C::View
            ),
            MemberRole::Checkin => matches!(capability, C::RunDoor | C::View),
            MemberRole::Viewer => capability == C::View,
        }
    }
}

/// A member's standing in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub role: MemberRole,
    /// The events the member is limited to; `None`: every event of the organization.
    pub event_ids: Option<Vec<EventId>>,
}

impl Membership {
    /// Whether the member may do `capability`, on `event` or (with `None`) across the
    /// organization: a member limited to some events may act only on those, and on nothing
    /// organization-wide (new events, venues, products, the team).
    pub fn may(&self, capability: Capability, event: Option<EventId>) -> bool {
        self.role.may(capability)
            && match (&self.event_ids, event) {
                (None, _) => true,
                (Some(events), Some(event)) => events.contains(&event),
                (Some(_), None) => false,
            }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and records

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// A CPF (11 digits) or a CNPJ (14 digits) whose check digits are right, bare or formatted
    /// (`529.982.247-25`, `11.222.333/0001-81`); kept as its digits.
    #[schema(min_length = 11, max_length = 40, example = "11.222.333/0001-81")]
    pub document: String,
    #[schema(format = "email", max_length = 254)]
    pub contact_email: String,
}

/// A validated organization to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    pub document: Document,
    pub contact_email: String,
}

impl OrganizationInput {
    pub fn parse(self) -> Result<NewOrganization, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", text(&self.name, 1, 200));
        let document = errors.check("document", Document::parse(&self.document));
        let contact_email = errors.check("contact_email", Email::parse(&self.contact_email));
        errors.finish(|| {
            Some(NewOrganization {
                name: name?,
                document: document?,
                contact_email: contact_email?.as_str().to_owned(),
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    /// The CPF or CNPJ, digits only; null only for an organization made for an organizer when
    /// organizations came in.
    pub document: Option<String>,
    pub contact_email: String,
    /// When an admin suspended it: its sessions sell nothing until it is unsuspended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub suspended_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An organization as one of its members sees it in their list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MyOrganization {
    #[serde(flatten)]
    pub organization: Organization,
    /// The caller's role in it.
    pub role: MemberRole,
    /// The events the caller is limited to; null: all of them.
    pub event_ids: Option<Vec<EventId>>,
}

/// The maximum of events a member may be limited to.
pub const MAX_MEMBER_EVENTS: usize = 100;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// The address of an existing account.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    #[schema(schema_with = crate::openapi::member_role)]
    pub role: String,
    /// Events of the organization the member is limited to (1 to 100); absent or null: all.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 100)]
    pub event_ids: Option<Vec<EventId>>,
}

/// A validated member to add (or whose role and events to set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    /// Normalised (`Email::normalize`), to find the account by.
    pub email: String,
    pub role: MemberRole,
    pub event_ids: Option<Vec<EventId>>,
}

impl MemberInput {
    pub fn parse(self) -> Result<NewMember, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", Email::parse(&self.email));
        let role = errors.check("role", MemberRole::parse(&self.role));
        let event_ids = match self.event_ids {
            None => Some(None),
            Some(ids) => {
                let mut unique: Vec<EventId> = Vec::with_capacity(ids.len());
                for id in ids {
                    if !unique.contains(&id) {
                        unique.push(id);
                    }
                }
                errors
                    .check(
                        "event_ids",
                        crate::validation::count_in_range(unique.len(), 1, MAX_MEMBER_EVENTS),
                    )
                    .map(|()| Some(unique))
            }
        };
        errors.finish(|| {
            Some(NewMember {
                email: Email::normalize(email?.as_str()),
                role: role?,
                event_ids: event_ids?,
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    /// The events the member is limited to; null: all of the organization's.
    pub event_ids: Option<Vec<EventId>>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Member {
    pub fn membership(&self) -> Membership {
        Membership {
            role: self.role,
            event_ids: self.event_ids.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cpfs_and_cnpjs_are_read_bare_or_formatted() {
        for (raw, digits) in [
            ("529.982.247-25", "52998224725"),
            ("52998224725", "52998224725"),
            (" 111.444.777-35 ", "11144477735"),
        ] {
            assert_eq!(
                Document::parse(raw),
                Ok(Document::Cpf(digits.into())),
                "{raw}"
            );
        }
        for (raw, digits) in [
            ("11.222.333/0001-81", "11222333000181"),
            ("12.345.678/0001-95", "12345678000195"),
            ("11222333000181", "11222333000181"),
        ] {
            assert_eq!(
                Document::parse(raw),
                Ok(Document::Cnpj(digits.into())),
                "{raw}"
            );
        }
    }

    #[test]
    fn wrong_check_digits_lengths_and_characters_are_refused() {
        for raw in [
            "529.982.247-24",     // second CPF digit off
            "529.982.247-35",     // first CPF digit off
            "11.222.333/0001-82", // second CNPJ digit off
            "11.222.333/0001-91", // first CNPJ digit off
            "12.345.678/0001-59",
            "5299822472",   // 10 digits
            "529982247251", // 12 digits
            "",
            "abc",
            "529.982.247-2a",
            "529,982,247-25",
            "111.111.111-11", // passes the check digits, no one's
            "00000000000",
            "00.000.000/0000-00",
            "99999999999999",
        ] {
            assert_eq!(
                Document::parse(raw),
                Err(FieldProblem::InvalidDocument),
                "{raw}"
            );
        }
    }

    #[test]
    fn each_role_may_what_issue_28_says() {
        use Capability as C;
        let allowed = |role: MemberRole| -> Vec<Capability> {
            C::ALL.into_iter().filter(|c| role.may(*c)).collect()
        };
        assert_eq!(allowed(MemberRole::Owner), C::ALL.to_vec());
        assert_eq!(
            allowed(MemberRole::Manager),
            C::ALL
                .into_iter()
                .filter(|c| *c != C::ManageTeam)
                .collect::<Vec<_>>()
        );
        assert_eq!(
            allowed(MemberRole::Finance),
            vec![C::SeeSales, C::Refund, C::ExportPersonalData, C::View]
        );
        assert_eq!(allowed(MemberRole::Checkin), vec![C::RunDoor, C::View]);
        assert_eq!(allowed(MemberRole::Viewer), vec![C::View]);
    }

    #[test]
    fn a_member_limited_to_events_acts_only_on_those() {
        let mine = EventId::new();
        let other = EventId::new();
        let limited = Membership {
            role: MemberRole::Manager,
            event_ids: Some(vec![mine]),
        };
        assert!(limited.may(Capability::EditCatalog, Some(mine)));
        assert!(!limited.may(Capability::EditCatalog, Some(other)));
        assert!(
            !limited.may(Capability::EditCatalog, None),
            "nothing organization-wide"
        );
        assert!(!limited.may(Capability::ManageTeam, Some(mine)));
        let everywhere = Membership {
            role: MemberRole::Checkin,
            event_ids: None,
        };
        assert!(everywhere.may(Capability::RunDoor, Some(other)));
        assert!(!everywhere.may(Capability::SeeSales, Some(other)));
    }

    #[test]
    fn roles_read_back_and_unknown_ones_are_refused() {
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::parse(role.as_str()), Ok(role));
        }
        assert!(MemberRole::parse("Owner").is_err());
        assert!(MemberRole::parse("admin").is_err());
    }

    #[test]
    fn member_input_is_checked_whole() {
        let parsed = MemberInput {
            email: " Porta@Example.com ".into(),
            role: "checkin".into(),
            event_ids: None,
        }
        .parse()
        .unwrap();
        assert_eq!(parsed.email, "porta@example.com");
        assert_eq!(parsed.event_ids, None);
        let errors = MemberInput {
            email: "nope".into(),
            role: "boss".into(),
            event_ids: Some(vec![]),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "role", "event_ids"]);
    }

    #[test]
    fn organization_input_names_the_wrong_document() {
        let errors = OrganizationInput {
            name: "Produtora".into(),
            document: "11.222.333/0001-80".into(),
            contact_email: "contato@example.com".into(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "document");
        assert_eq!(errors.0[0].problem, FieldProblem::InvalidDocument);
    }
}
