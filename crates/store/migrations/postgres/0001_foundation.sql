-- Instants are BIGINT microseconds since the Unix epoch in both backends, so that the shared SQL
-- compares and orders them identically. Normalised text used for prefix search is COLLATE "C"
-- so that range scans on a prefix are exact and use the B-tree.

CREATE TABLE users (
    id               UUID PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT COLLATE "C" NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    name_normalized  TEXT COLLATE "C" NOT NULL,
    password_hash    TEXT NOT NULL,
    roles            BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL
);
CREATE INDEX users_by_name ON users (name_normalized);

CREATE TABLE login_sessions (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id),
    token_hash  BYTEA NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    end_reason  TEXT CHECK (end_reason IN ('replaced', 'logged_out'))
);
-- C2 as constraints: one active session per user and per device.
CREATE UNIQUE INDEX login_sessions_one_active_per_user ON login_sessions (user_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX login_sessions_one_active_per_device ON login_sessions (device_id) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_by_user ON login_sessions (user_id, created_at DESC);

CREATE TABLE venues (
    id         UUID PRIMARY KEY,
    owner_id   UUID NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    city       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX venues_by_owner ON venues (owner_id);

CREATE TABLE sections (
    id       UUID PRIMARY KEY,
    venue_id UUID NOT NULL REFERENCES venues (id),
    position BIGINT NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('seated', 'standing')),
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    UNIQUE (venue_id, position)
);

CREATE TABLE seats (
    id           UUID PRIMARY KEY,
    section_id   UUID NOT NULL REFERENCES sections (id),
    row_position BIGINT NOT NULL,
    row_label    TEXT NOT NULL,
    number       BIGINT NOT NULL CHECK (number > 0),
    UNIQUE (section_id, row_position, number)
);

CREATE TABLE events (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id),
    venue_id    UUID NOT NULL REFERENCES venues (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    tags        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- Start of the first session; the largest BIGINT while there is none.
    sort_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    search      TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', title || ' ' || description || ' ' || category || ' ' || tags)
    ) STORED
);
CREATE INDEX events_listing ON events (status, sort_at, id);
CREATE INDEX events_by_owner ON events (owner_id);
CREATE INDEX events_search ON events USING GIN (search);

CREATE TABLE event_sessions (
    id                   UUID PRIMARY KEY,
    event_id             UUID NOT NULL REFERENCES events (id),
    starts_at            BIGINT NOT NULL,
    sales_start_at       BIGINT NOT NULL,
    max_tickets_per_user BIGINT NOT NULL CHECK (max_tickets_per_user > 0),
    hold_seconds         BIGINT NOT NULL CHECK (hold_seconds > 0),
    queue_enabled        BOOLEAN NOT NULL,
    admit_per_minute     BIGINT NOT NULL CHECK (admit_per_minute > 0),
    currency             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    CHECK (sales_start_at < starts_at)
);
CREATE INDEX event_sessions_by_event ON event_sessions (event_id, starts_at);
CREATE INDEX event_sessions_by_start ON event_sessions (starts_at);

CREATE TABLE seat_categories (
    id          UUID PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES event_sessions (id),
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    UNIQUE (session_id, position)
);

-- The sections on sale in a session, with their category and, for standing sections, the
-- capacity counter that sales draw down.
CREATE TABLE session_sections (
    session_id  UUID NOT NULL REFERENCES event_sessions (id),
    section_id  UUID NOT NULL REFERENCES sections (id),
    category_id UUID NOT NULL REFERENCES seat_categories (id),
    capacity    BIGINT NOT NULL CHECK (capacity > 0),
    sold        BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    -- Units of a standing section held by active holds; seated sections count seats instead.
    held        BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    CHECK (sold + held <= capacity),
    PRIMARY KEY (session_id, section_id)
);

-- One row per seat on sale in a session: the unit that holds and sales claim.
CREATE TABLE session_seats (
    session_id UUID NOT NULL REFERENCES event_sessions (id),
    seat_id    UUID NOT NULL REFERENCES seats (id),
    section_id UUID NOT NULL REFERENCES sections (id),
    status     TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    held_until BIGINT,
    -- The hold that has the seat while it is held.
    hold_id    UUID,
    PRIMARY KEY (session_id, seat_id)
);
CREATE INDEX session_seats_by_section ON session_seats (session_id, section_id);

CREATE TABLE products (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    currency    TEXT NOT NULL,
    stock       BIGINT NOT NULL CHECK (stock >= 0),
    tags        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX products_by_owner ON products (owner_id);

CREATE TABLE product_events (
    product_id UUID NOT NULL REFERENCES products (id),
    event_id   UUID NOT NULL REFERENCES events (id),
    PRIMARY KEY (product_id, event_id)
);
CREATE INDEX product_events_by_event ON product_events (event_id);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    id          UUID NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor_id    UUID,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    ip          TEXT,
    before      TEXT,
    after       TEXT,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE INDEX audit_by_target ON audit_log (target_id, seq);
CREATE INDEX audit_by_time ON audit_log (at);

-- The last entry appended. Appending updates this single row first, which serialises appends
-- and hands each one the hash to chain to.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- Append-only: the application never changes or removes an entry; only someone who disables
-- this trigger can, and the hash chain then shows it.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
