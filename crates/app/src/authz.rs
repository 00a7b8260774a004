//! Who may do what (S13), decided here and only here: roles for kinds of action, ownership for
//! each object.

use crate::error::{AppError, AppResult, Denied};
use bilheteria_domain::account::{Role, User};
use bilheteria_domain::catalog::{Event, EventStatus};
use bilheteria_domain::ids::UserId;

pub fn require_admin(user: &User) -> AppResult<()> {
    if user.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Denied::NeedsAdmin))
    }
}

/// Organizers build catalogs; admins may act for any of them.
pub fn require_catalog_author(user: &User) -> AppResult<()> {
    if user.has_role(Role::Organizer) || user.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Denied::NeedsOrganizer))
    }
}

/// Whether `user` may change what `owner` owns: its organizer (while still an organizer), or an admin.
pub fn manages(user: &User, owner: UserId) -> bool {
    user.has_role(Role::Admin) || (user.id == owner && user.has_role(Role::Organizer))
}

/// Published events are public; drafts exist only for those who manage them.
pub fn can_see_event(viewer: Option<&User>, event: &Event) -> bool {
    event.status == EventStatus::Published
        || viewer.is_some_and(|user| manages(user, event.owner_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilheteria_domain::account::Roles;
    use bilheteria_domain::ids::{EventId, VenueId};
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

    fn event(owner: UserId, status: EventStatus) -> Event {
        Event {
            id: EventId::new(),
            owner_id: owner,
            venue_id: VenueId::new(),
            title: "T".into(),
            description: String::new(),
            category: bilheteria_domain::catalog::Category::Music,
            tags: vec![],
            status,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn organizers_manage_only_their_own() {
        let owner = user(&[Role::Organizer]);
        let other = user(&[Role::Organizer]);
        let admin = user(&[Role::Admin]);
        assert!(manages(&owner, owner.id));
        assert!(!manages(&other, owner.id));
        assert!(manages(&admin, owner.id));
        let demoted = User {
            roles: vec![Role::Customer],
            ..owner.clone()
        };
        assert!(
            !manages(&demoted, owner.id),
            "losing the role loses the catalog"
        );
    }

    #[test]
    fn drafts_are_visible_only_to_their_managers() {
        let owner = user(&[Role::Organizer]);
        let draft = event(owner.id, EventStatus::Draft);
        assert!(can_see_event(Some(&owner), &draft));
        assert!(!can_see_event(Some(&user(&[Role::Organizer])), &draft));
        assert!(!can_see_event(None, &draft));
        assert!(can_see_event(
            None,
            &event(owner.id, EventStatus::Published)
        ));
        assert!(require_catalog_author(&user(&[Role::Staff])).is_err());
        assert!(require_admin(&owner).is_err());
    }
}
