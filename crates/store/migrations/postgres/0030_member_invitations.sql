-- An address with no account invited to an organization's team: mailed a sign-up link; the
-- account made with that address becomes a member when it confirms the address.
CREATE TABLE organization_invitations (
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'finance', 'checkin', 'viewer')),
    -- The events the member will be limited to, comma-separated ids; NULL for all.
    event_ids        TEXT,
    invited_by       UUID NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    accepted_at      BIGINT,
    PRIMARY KEY (organization_id, email_normalized)
);
CREATE INDEX organization_invitations_pending ON organization_invitations (email_normalized)
    WHERE accepted_at IS NULL;
