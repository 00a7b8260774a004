-- The gate: staff an organizer assigns to an event's gates, and every scan with its result.
CREATE TABLE event_staff (
    event_id    BLOB NOT NULL REFERENCES events (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_staff_of_user ON event_staff (user_id);

CREATE TABLE checkins (
    id         BLOB PRIMARY KEY,
    -- Chosen by the gate for one scan: a retried scan carries the same nonce.
    nonce      TEXT NOT NULL UNIQUE,
    ticket_id  BLOB NOT NULL REFERENCES tickets (id),
    session_id BLOB NOT NULL REFERENCES event_sessions (id),
    gate       TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('admitted', 'ticket_used', 'ticket_revoked')),
    staff_id   BLOB NOT NULL REFERENCES users (id),
    scanned_at INTEGER NOT NULL
);
-- A ticket is admitted once, as a constraint.
CREATE UNIQUE INDEX checkins_one_admission ON checkins (ticket_id) WHERE result = 'admitted';
CREATE INDEX checkins_of_session ON checkins (session_id, scanned_at);
