//! Who may do what (S13), decided here and only here: platform roles for kinds of action
//! (admin, founding an organization), and for everything an organization owns, membership:
//! what each member role may do is `MemberRole::may` (the domain's one table), and
//! [`decide`] turns a caller's membership into an answer.

use crate::error::{AppError, AppResult, Denied};
use bilheteria_domain::account::{Role, User};
use bilheteria_domain::catalog::Event;
use bilheteria_domain::ids::EventId;
use bilheteria_domain::organization::{Capability, Membership};

pub fn require_admin(user: &User) -> AppResult<()> {
    if user.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Denied::NeedsAdmin))
    }
}

/// Organizers found organizations (and become their owners); admins may too. Members of an
/// organization need no platform role: their membership is their authority.
pub fn require_founder(user: &User) -> AppResult<()> {
    if user.has_role(Role::Organizer) || user.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Denied::NeedsOrganizer))
    }
}

/// Who acts for an organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acting {
    /// One of its members, allowed by their role (and their events).
    Member(Membership),
    /// An admin who is not a member (or whose role would not allow it): admins may act for
    /// any organization.
    Admin,
}

/// Whether `user`, with `membership` in an organization (`None`: not a member), may do
/// `capability` on `event` of it (or, with `None`, across it). Outside the organization the
/// answer is `NotFound(what)`: nothing of it exists for them; a member whose role (or whose
/// events) do not allow it is `Forbidden`.
pub fn decide(
    user: &User,
    membership: Option<Membership>,
    capability: Capability,
    event: Option<EventId>,
    what: &'static str,
) -> AppResult<Acting> {
    let admin = user.has_role(Role::Admin);
    match membership {
        Some(member) if member.may(capability, event) => Ok(Acting::Member(member)),
        _ if admin => Ok(Acting::Admin),
        Some(_) => Err(AppError::Forbidden(Denied::RoleMayNot)),
        None => Err(AppError::NotFound(what)),
    }
}

/// Which of an organization's events `user`, with `membership` in it, may `View`: all of them
/// (`None`), or those they are limited to. Outside it, `NotFound`; a member whose role may not
/// view, `Forbidden`.
pub fn viewable_events(
    user: &User,
    membership: Option<Membership>,
) -> AppResult<Option<Vec<EventId>>> {
    match membership {
        Some(member) if member.role.may(Capability::View) => Ok(member.event_ids),
        _ if user.has_role(Role::Admin) => Ok(None),
        Some(_) => Err(AppError::Forbidden(Denied::RoleMayNot)),
        None => Err(AppError::NotFound("organization")),
    }
}

/// Published events are public (and stay so once cancelled, to say it); drafts exist only for
/// whoever may `View` them.
pub fn can_see_event(event: &Event, may_view: bool) -> bool {
    event.published || may_view
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilheteria_domain::account::Roles;
    use bilheteria_domain::ids::UserId;
    use bilheteria_domain::organization::MemberRole;
    use time::OffsetDateTime;

    fn user(roles: &[Role]) -> User {
        User {
            id: UserId::new(),
            email: "u@example.com".into(),
            name: "U".into(),
            roles: Roles::from_roles(roles.iter().copied()).to_vec(),
            language: Default::default(),
            email_verified: true,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn member(role: MemberRole, events: Option<Vec<EventId>>) -> Option<Membership> {
        Some(Membership {
            role,
            event_ids: events,
        })
    }

    #[test]
    fn outsiders_find_nothing_members_may_what_their_role_may() {
        let someone = user(&[Role::Organizer]);
        let event = EventId::new();
        assert!(matches!(
            decide(&someone, None, Capability::View, Some(event), "event"),
            Err(AppError::NotFound("event"))
        ));
        assert!(matches!(
            decide(
                &someone,
                member(MemberRole::Checkin, None),
                Capability::SeeSales,
                Some(event),
                "event"
            ),
            Err(AppError::Forbidden(Denied::RoleMayNot))
        ));
        assert!(matches!(
            decide(
                &someone,
                member(MemberRole::Checkin, None),
                Capability::RunDoor,
                Some(event),
                "event"
            ),
            Ok(Acting::Member(_))
        ));
        assert!(matches!(
            decide(
                &someone,
                member(MemberRole::Manager, Some(vec![EventId::new()])),
                Capability::EditCatalog,
                Some(event),
                "event"
            ),
            Err(AppError::Forbidden(Denied::RoleMayNot))
        ));
    }

    #[test]
    fn admins_act_for_any_organization() {
        let admin = user(&[Role::Admin]);
        assert_eq!(
            decide(&admin, None, Capability::ManageTeam, None, "organization").ok(),
            Some(Acting::Admin)
        );
        assert_eq!(
            decide(
                &admin,
                member(MemberRole::Viewer, None),
                Capability::Refund,
                None,
                "organization"
            )
            .ok(),
            Some(Acting::Admin)
        );
        assert!(require_founder(&user(&[Role::Staff])).is_err());
        assert!(require_founder(&user(&[Role::Organizer])).is_ok());
        assert!(require_admin(&user(&[Role::Organizer])).is_err());
    }
}
