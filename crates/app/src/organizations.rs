//! Organizations and their teams (S5, S13): founding one, the caller's list, an
//! organization's events as its members see them, its members, and an admin's suspension.
//! Each operation asks `access::organization_access` first.

use crate::App;
use crate::access::organization_access;
use crate::authz::{require_admin, require_founder, viewable_events};
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{Event, EventQuery};
use bilheteria_domain::ids::{OrganizationId, UserId};
use bilheteria_domain::organization::{
    Capability, Member, MemberInput, MyOrganization, Organization, OrganizationInput,
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
) -> AppResult<Member> {
    team_access(app, user, organization).await?;
    let member = input.parse()?;
    let account = app
        .store
        .find_credentials(&member.email)
        .await?
        .ok_or(AppError::NotFound("user"))?
        .user;
    Ok(app
        .store
        .set_member(
            organization,
            account.id,
            member.role,
            member.event_ids,
            app.clock.now(),
            audit,
        )
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
