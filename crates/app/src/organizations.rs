//! Organizations and their teams (S5, S13): founding one, the caller's list, an
//! organization's events, venues and products as its members see them, its members, and an
//! admin's suspension. Each operation asks `authz` first (through `access::organization_access`
//! or `viewable_events`). The console's pages (`/organizer`) start from `console` and
//! `standing`, which say what the caller may do there.

use crate::App;
use crate::access::organization_access;
use crate::authz::{decide, require_admin, require_founder, viewable_events};
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::{Role, User};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{Event, EventQuery, Product, Venue};
use bilheteria_domain::ids::{EventId, OrganizationId, UserId};
use bilheteria_domain::organization::{
    Capability, Member, MemberInput, Membership, MyOrganization, Organization, OrganizationInput,
};
use bilheteria_domain::page::{Page, PageRequest};

/// `POST /organizations`: the caller (an organizer or an admin) founds one and is its owner.
pub async fn create(
    app: &App,
    founder: &User,
    input: OrganizationInput,
    audit: &AuditContext,
) -> AppResult<Organization> {
    require_founder(founder)?;
    let organization = input.parse()?;
    Ok(app
        .store
        .create_organization(organization, founder.id, app.clock.now(), audit)
        .await?)
}

/// `GET /organizations`: the caller's, with their role in each.
pub async fn mine(app: &App, user: &User, page: &PageRequest) -> AppResult<Page<MyOrganization>> {
    Ok(app.store.user_organizations(user.id, page).await?)
}

/// `GET /organizations/{id}/events`: its events, drafts included, as the caller may `View`
/// them: a member limited to some events sees those.
pub async fn events(
    app: &App,
    user: &User,
    organization: OrganizationId,
    mut filter: EventQuery,
    page: &PageRequest,
) -> AppResult<Page<Event>> {
    let membership = app.store.membership(organization, user.id).await?;
    let limited = viewable_events(user, membership)?;
    filter.organization_id = Some(organization);
    filter.include_drafts = true;
    filter.event_ids = limited;
    Ok(app.store.list_events(&filter, page).await?)
}

/// Whether `user` has a console: they belong to an organization, or may found one (organizers
/// and admins). One read at most.
pub async fn has_console(app: &App, user: &User) -> AppResult<bool> {
    if require_founder(user).is_ok() {
        return Ok(true);
    }
    let first = PageRequest {
        limit: 1,
        after: None,
    };
    Ok(!app
        .store
        .user_organizations(user.id, &first)
        .await?
        .items
        .is_empty())
}

/// The console's first page: the caller's organizations. Someone with none who may not found
/// one has no console (`Forbidden(NoOrganization)`).
pub async fn console(
    app: &App,
    user: &User,
    page: &PageRequest,
) -> AppResult<Page<MyOrganization>> {
    let mine = mine(app, user, page).await?;
    if mine.items.is_empty() && page.after.is_none() && require_founder(user).is_err() {
        return Err(AppError::Forbidden(crate::error::Denied::NoOrganization));
    }
    Ok(mine)
}

/// An organization as the caller stands in it: it, and their membership (`None` for an admin
/// who is not a member), to say what they may do there.
#[derive(Clone, Debug)]
pub struct Standing {
    pub organization: Organization,
    pub membership: Option<Membership>,
    admin: bool,
}

impl Standing {
    /// Whether the caller may do `capability` on `event` (or, with `None`, across it): the
    /// same answer as `authz::decide`.
    pub fn may(&self, capability: Capability, event: Option<EventId>) -> bool {
        self.admin
            || self
                .membership
                .as_ref()
                .is_some_and(|member| member.may(capability, event))
    }

    /// Whether the caller's role may do `capability` on some event of the organization (a
    /// member limited to some events, on those): whether to offer a way to it at all.
    pub fn may_somewhere(&self, capability: Capability) -> bool {
        self.admin
            || self
                .membership
                .as_ref()
                .is_some_and(|member| member.role.may(capability))
    }
}

/// The organization, for a caller who may `capability` across it (with `None`: who may see
/// some of it, a member limited to some events too). Outside it `NotFound`, a member whose
/// role may not `Forbidden`.
pub async fn standing(
    app: &App,
    user: &User,
    organization: OrganizationId,
    capability: Option<Capability>,
) -> AppResult<Standing> {
    let membership = app.store.membership(organization, user.id).await?;
    match capability {
        Some(capability) => {
            decide(user, membership.clone(), capability, None, "organization")?;
        }
        None => {
            viewable_events(user, membership.clone())?;
        }
    }
    let organization = app
        .store
        .get_organization(organization)
        .await?
        .ok_or(AppError::NotFound("organization"))?;
    Ok(Standing {
        organization,
        membership,
        admin: user.has_role(Role::Admin),
    })
}

/// `GET /organizations/{id}/venues`: its venues, for whoever may see some of it.
pub async fn venues(
    app: &App,
    user: &User,
    organization: OrganizationId,
    page: &PageRequest,
) -> AppResult<Page<Venue>> {
    sees_some_of(app, user, organization).await?;
    Ok(app.store.organization_venues(organization, page).await?)
}

/// `GET /organizations/{id}/products`: its products with their stock, for whoever may see
/// some of it.
pub async fn products(
    app: &App,
    user: &User,
    organization: OrganizationId,
    page: &PageRequest,
) -> AppResult<Page<Product>> {
    sees_some_of(app, user, organization).await?;
    Ok(app.store.organization_products(organization, page).await?)
}

/// `GET /organizations/{id}/members`: whoever may manage the team, or an admin.
pub async fn members(
    app: &App,
    user: &User,
    organization: OrganizationId,
    page: &PageRequest,
) -> AppResult<Page<Member>> {
    team_access(app, user, organization).await?;
    Ok(app.store.list_members(organization, page).await?)
}

/// `POST /organizations/{id}/members`: adds the account with that address, or sets the role
/// and events of a member. The last owner cannot be demoted (`LastOwner`).
pub async fn set_member(
    app: &App,
    user: &User,
    organization: OrganizationId,
    input: MemberInput,
    audit: &AuditContext,
) -> AppResult<TeamChange> {
    team_access(app, user, organization).await?;
    let member = input.parse()?;
    let Some(account) = app.store.find_credentials(&member.email).await? else {
        return Ok(TeamChange::Invited(
            invite(app, user, organization, member, audit).await?,
        ));
    };
    Ok(TeamChange::Member(
        app.store
            .set_member(
                organization,
                account.user.id,
                member.role,
                member.event_ids,
                app.clock.now(),
                audit,
            )
            .await?,
    ))
}

/// What `set_member` did: a member added or changed, or an address with no account invited.
#[derive(Clone, Debug)]
pub enum TeamChange {
    Member(Member),
    Invited(Invitation),
}

/// An address with no account invited to the team: mailed a sign-up link; the account made
/// with it joins with `role` once it confirms the address.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub email: String,
    pub role: bilheteria_domain::organization::MemberRole,
    pub event_ids: Option<Vec<EventId>>,
    /// `invited`.
    pub status: &'static str,
}

async fn invite(
    app: &App,
    inviter: &User,
    organization: OrganizationId,
    member: bilheteria_domain::organization::NewMember,
    audit: &AuditContext,
) -> AppResult<Invitation> {
    app.store
        .invite_member(
            organization,
            &member.email,
            member.role,
            member.event_ids.clone(),
            inviter.id,
            app.clock.now(),
            audit,
        )
        .await?;
    let name = app
        .store
        .get_organization(organization)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let next = if member.role == bilheteria_domain::organization::MemberRole::Checkin {
        format!("/organizer/{organization}/door")
    } else {
        format!("/organizer/{organization}")
    };
    let link = format!("{}/register?next={}", app.settings.public_url, next);
    // The invitee has no account, so no language of their own yet: the inviter's, who knows them.
    let letter = crate::mails::invitation_letter(
        &crate::mails::InvitationFacts {
            organization: name,
            inviter: inviter.name.clone(),
            role: member.role,
            link,
        },
        inviter.language,
    );
    let sent = match letter.into_email(
        member.email.clone(),
        format!("invitation-{organization}-{}", member.email),
    ) {
        Ok(email) => app.mail.send(email).await,
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
        tracing::warn!(%organization, %error, "team invitation mail not sent");
    }
    Ok(Invitation {
        email: member.email,
        role: member.role,
        event_ids: member.event_ids,
        status: "invited",
    })
}

/// The account `user` confirmed its address: it joins every team that invited the address.
pub async fn accept_invitations(app: &App, user: &User) -> AppResult<Vec<OrganizationId>> {
    let email = bilheteria_domain::account::Email::normalize(&user.email);
    Ok(app
        .store
        .accept_invitations(user.id, &email, app.clock.now())
        .await?)
}

/// `DELETE /organizations/{id}/members/{user_id}`. The last owner stays (`LastOwner`).
pub async fn remove_member(
    app: &App,
    user: &User,
    organization: OrganizationId,
    member: UserId,
    audit: &AuditContext,
) -> AppResult<()> {
    team_access(app, user, organization).await?;
    if app
        .store
        .remove_member(organization, member, app.clock.now(), audit)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("member"))
    }
}

/// `POST /admin/organizations/{id}/suspend` and `/unsuspend` (admins): a suspended
/// organization's sessions refuse new holds (`OrganizationSuspended`).
pub async fn set_suspended(
    app: &App,
    admin: &User,
    organization: OrganizationId,
    suspended: bool,
    audit: &AuditContext,
) -> AppResult<Organization> {
    require_admin(admin)?;
    app.store
        .set_suspended(organization, suspended, app.clock.now(), audit)
        .await
        .map_err(|error| match error {
            bilheteria_store::StoreError::NotFound => AppError::NotFound("organization"),
            other => other.into(),
        })
}

/// Whether `user` may see some of the organization (`viewable_events`): a member, limited to
/// some events or not, or an admin.
async fn sees_some_of(app: &App, user: &User, organization: OrganizationId) -> AppResult<()> {
    let membership = app.store.membership(organization, user.id).await?;
    viewable_events(user, membership).map(|_| ())
}

async fn team_access(app: &App, user: &User, organization: OrganizationId) -> AppResult<()> {
    organization_access(
        app,
        user,
        organization,
        Capability::ManageTeam,
        None,
        "organization",
    )
    .await
    .map(|_| ())
}
