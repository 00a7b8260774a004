-- Instants are INTEGER microseconds since the Unix epoch in both backends, so that the shared
-- SQL compares and orders them identically. Ids are 16-byte UUID blobs.

CREATE TABLE users (
    id               BLOB PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    name_normalized  TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    roles            INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL
);
CREATE INDEX users_by_name ON users (name_normalized);

CREATE TABLE login_sessions (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    end_reason  TEXT CHECK (end_reason IN ('replaced', 'logged_out'))
);
-- C2 as constraints: one active session per user and per device.
CREATE UNIQUE INDEX login_sessions_one_active_per_user ON login_sessions (user_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX login_sessions_one_active_per_device ON login_sessions (device_id) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_by_user ON login_sessions (user_id, created_at DESC);

CREATE TABLE venues (
    id         BLOB PRIMARY KEY,
    owner_id   BLOB NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    city       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX venues_by_owner ON venues (owner_id);

CREATE TABLE sections (
    id       BLOB PRIMARY KEY,
    venue_id BLOB NOT NULL REFERENCES venues (id),
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('seated', 'standing')),
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    UNIQUE (venue_id, position)
);

CREATE TABLE seats (
    id           BLOB PRIMARY KEY,
    section_id   BLOB NOT NULL REFERENCES sections (id),
    row_position INTEGER NOT NULL,
    row_label    TEXT NOT NULL,
    number       INTEGER NOT NULL CHECK (number > 0),
    UNIQUE (section_id, row_position, number)
);

CREATE TABLE events (
    -- A stable integer key for the full-text index (an implicit rowid may change on VACUUM).
    search_rowid INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    owner_id     BLOB NOT NULL REFERENCES users (id),
    venue_id     BLOB NOT NULL REFERENCES venues (id),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    category     TEXT NOT NULL,
    tags         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- Start of the first session; the largest INTEGER while there is none.
    sort_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX events_listing ON events (status, sort_at, id);
CREATE INDEX events_by_owner ON events (owner_id);

CREATE VIRTUAL TABLE event_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER event_search_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_search (rowid, body)
    VALUES (new.search_rowid, new.title || ' ' || new.description || ' ' || new.category || ' ' || new.tags);
END;
CREATE TRIGGER event_search_update AFTER UPDATE OF title, description, category, tags ON events BEGIN
    DELETE FROM event_search WHERE rowid = old.search_rowid;
    INSERT INTO event_search (rowid, body)
    VALUES (new.search_rowid, new.title || ' ' || new.description || ' ' || new.category || ' ' || new.tags);
END;

CREATE TABLE event_sessions (
    id                   BLOB PRIMARY KEY,
    event_id             BLOB NOT NULL REFERENCES events (id),
    starts_at            INTEGER NOT NULL,
    sales_start_at       INTEGER NOT NULL,
    max_tickets_per_user INTEGER NOT NULL CHECK (max_tickets_per_user > 0),
    hold_seconds         INTEGER NOT NULL CHECK (hold_seconds > 0),
    queue_enabled        INTEGER NOT NULL CHECK (queue_enabled IN (0, 1)),
    admit_per_minute     INTEGER NOT NULL CHECK (admit_per_minute > 0),
    currency             TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    CHECK (sales_start_at < starts_at)
);
CREATE INDEX event_sessions_by_event ON event_sessions (event_id, starts_at);
CREATE INDEX event_sessions_by_start ON event_sessions (starts_at);

CREATE TABLE seat_categories (
    id          BLOB PRIMARY KEY,
    session_id  BLOB NOT NULL REFERENCES event_sessions (id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    UNIQUE (session_id, position)
);

CREATE TABLE session_sections (
    session_id  BLOB NOT NULL REFERENCES event_sessions (id),
    section_id  BLOB NOT NULL REFERENCES sections (id),
    category_id BLOB NOT NULL REFERENCES seat_categories (id),
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    sold        INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    -- Units of a standing section held by active holds; seated sections count seats instead.
    held        INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    CHECK (sold + held <= capacity),
    PRIMARY KEY (session_id, section_id)
) WITHOUT ROWID;

CREATE TABLE session_seats (
    session_id BLOB NOT NULL REFERENCES event_sessions (id),
    seat_id    BLOB NOT NULL REFERENCES seats (id),
    section_id BLOB NOT NULL REFERENCES sections (id),
    status     TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    held_until INTEGER,
    -- The hold that has the seat while it is held.
    hold_id    BLOB,
    PRIMARY KEY (session_id, seat_id)
) WITHOUT ROWID;
CREATE INDEX session_seats_by_section ON session_seats (session_id, section_id);

CREATE TABLE products (
    id          BLOB PRIMARY KEY,
    owner_id    BLOB NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    currency    TEXT NOT NULL,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    tags        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX products_by_owner ON products (owner_id);

CREATE TABLE product_events (
    product_id BLOB NOT NULL REFERENCES products (id),
    event_id   BLOB NOT NULL REFERENCES events (id),
    PRIMARY KEY (product_id, event_id)
) WITHOUT ROWID;
CREATE INDEX product_events_by_event ON product_events (event_id);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    actor_id    BLOB,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    ip          TEXT,
    before      TEXT,
    after       TEXT,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE INDEX audit_by_target ON audit_log (target_id, seq);
CREATE INDEX audit_by_time ON audit_log (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- Append-only: only someone who drops these triggers can change history, and the hash chain
-- then shows it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
