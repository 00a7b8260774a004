-- Organizations (producers): venues, events and products belong to one, and its members hold a
-- role in it, optionally limited to some of its events (issue 28).
CREATE TABLE organizations (
    id            BLOB PRIMARY KEY,
    name          TEXT NOT NULL,
    -- A CPF or CNPJ, digits only, its check digits verified by the application.
    document      TEXT,
    contact_email TEXT NOT NULL,
    suspended_at  INTEGER,
    created_at    INTEGER NOT NULL,
    -- Made by this migration for an organizer of before; only those may lack a document.
    migrated      INTEGER NOT NULL DEFAULT 0 CHECK (migrated IN (0, 1)),
    CHECK (document IS NOT NULL OR migrated = 1)
);

CREATE TABLE organization_members (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    user_id         BLOB NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'finance', 'checkin', 'viewer')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) WITHOUT ROWID;
CREATE INDEX organization_members_of_user ON organization_members (user_id, organization_id);

-- A member with rows here may act only on these events; one without, on all of them.
CREATE TABLE organization_member_events (
    organization_id BLOB NOT NULL,
    user_id         BLOB NOT NULL,
    event_id        BLOB NOT NULL REFERENCES events (id),
    PRIMARY KEY (organization_id, user_id, event_id),
    FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX organization_member_events_of_event ON organization_member_events (event_id);

-- Every organizer of before (the role, or anything made) gets an organization of their own,
-- with the same id as their account, their name and address, and is its owner.
INSERT INTO organizations (id, name, document, contact_email, created_at, migrated)
SELECT u.id, u.name, NULL, u.email, u.created_at, 1 FROM users u
WHERE (u.roles & 2) <> 0
   OR EXISTS (SELECT 1 FROM venues v WHERE v.owner_id = u.id)
   OR EXISTS (SELECT 1 FROM events e WHERE e.owner_id = u.id)
   OR EXISTS (SELECT 1 FROM products p WHERE p.owner_id = u.id);

INSERT INTO organization_members (organization_id, user_id, role, created_at)
SELECT o.id, o.id, 'owner', o.created_at FROM organizations o;

-- Their catalog moves with them; `owner_id` stays as who made each thing. SQLite cannot add a
-- NOT NULL column without a default: every insert names the organization.
ALTER TABLE venues ADD COLUMN organization_id BLOB REFERENCES organizations (id);
ALTER TABLE events ADD COLUMN organization_id BLOB REFERENCES organizations (id);
ALTER TABLE products ADD COLUMN organization_id BLOB REFERENCES organizations (id);
UPDATE venues SET organization_id = owner_id;
UPDATE events SET organization_id = owner_id;
UPDATE products SET organization_id = owner_id;
CREATE INDEX venues_of_organization ON venues (organization_id);
CREATE INDEX events_of_organization ON events (organization_id, sort_at, id);
CREATE INDEX products_of_organization ON products (organization_id);

-- Gate staff become `checkin` members limited to the events they were staff of (someone who
-- was already a member, the organizer, keeps their role).
INSERT INTO organization_members (organization_id, user_id, role, created_at)
SELECT e.organization_id, s.user_id, 'checkin', MIN(s.created_at)
FROM event_staff s JOIN events e ON e.id = s.event_id
WHERE NOT EXISTS (
    SELECT 1 FROM organization_members m
    WHERE m.organization_id = e.organization_id AND m.user_id = s.user_id
)
GROUP BY e.organization_id, s.user_id;

INSERT INTO organization_member_events (organization_id, user_id, event_id)
SELECT e.organization_id, s.user_id, s.event_id
FROM event_staff s JOIN events e ON e.id = s.event_id
JOIN organization_members m ON m.organization_id = e.organization_id AND m.user_id = s.user_id
WHERE m.role = 'checkin';

DROP TABLE event_staff;
