//! The organizations' half of the interface: organizations, their members and the events a
//! member is limited to.

use crate::StoreResult;
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{Product, Venue};
use bilheteria_domain::ids::{EventId, OrganizationId, UserId};
use bilheteria_domain::organization::{
    Member, MemberRole, Membership, MyOrganization, NewOrganization, Organization,
};
use bilheteria_domain::page::{Page, PageRequest};
use time::OffsetDateTime;

#[async_trait]
pub trait OrganizationStore {
    /// Makes the organization with `owner` as its owner, in one transaction.
    async fn create_organization(
        &self,
        organization: NewOrganization,
        owner: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Organization>;
    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>>;
    /// The organizations `user` belongs to, in the order they were made, with their role.
    async fn user_organizations(
        &self,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<MyOrganization>>;
    /// `user`'s role in the organization and the events they are limited to; `None`: not a
    /// member.
    async fn membership(
        &self,
        organization: OrganizationId,
        user: UserId,
    ) -> StoreResult<Option<Membership>>;
    /// The members, in the order of their ids.
    async fn list_members(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Member>>;
    /// Adds `user` as a member with `role`, limited to `event_ids` when given, or sets the role
    /// and events of a member. Refused with `Refusal::LastOwner` when it would leave the
    /// organization without an owner, `Refusal::EventNotOfOrganization` when an event is not
    /// the organization's; `NotFound` when there is no such organization.
    async fn set_member(
        &self,
        organization: OrganizationId,
        user: UserId,
        role: MemberRole,
        event_ids: Option<Vec<EventId>>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Member>;
    /// Invites an address that has no account yet to the team with `role` (limited to
    /// `event_ids` when given); inviting it again replaces the invitation. Refused with
    /// `Refusal::EventNotOfOrganization` like `set_member`; `NotFound` for no such organization.
    #[allow(clippy::too_many_arguments)]
    async fn invite_member(
        &self,
        organization: OrganizationId,
        email_normalized: &str,
        role: MemberRole,
        event_ids: Option<Vec<EventId>>,
        invited_by: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    /// Makes `user` a member of every organization that invited `email_normalized` (one who
    /// already is one keeps their role), in one transaction: the organizations joined.
    async fn accept_invitations(
        &self,
        user: UserId,
        email_normalized: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Vec<OrganizationId>>;
    /// Takes `user` out of the organization; false if they were not a member. Refused with
    /// `Refusal::LastOwner` for its last owner.
    async fn remove_member(
        &self,
        organization: OrganizationId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bool>;
    /// Its venues, in the order they were made.
    async fn organization_venues(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Venue>>;
    /// Its products with their stock and events, in the order they were made.
    async fn organization_products(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Product>>;
    /// Suspends the organization (its sessions sell nothing) or lifts the suspension; a
    /// suspension already in that state is left as it is and not audited again.
    async fn set_suspended(
        &self,
        organization: OrganizationId,
        suspended: bool,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Organization>;
}
