-- Transfers (S10): an organizer's say per session, and offers of a ticket to an email.
ALTER TABLE event_sessions ADD COLUMN transfers_enabled INTEGER NOT NULL DEFAULT 1 CHECK (transfers_enabled IN (0, 1));
ALTER TABLE event_sessions ADD COLUMN transfer_cutoff_minutes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE transfers (
    id           BLOB PRIMARY KEY,
    ticket_id    BLOB NOT NULL REFERENCES tickets (id),
    session_id   BLOB NOT NULL REFERENCES event_sessions (id),
    event_id     BLOB NOT NULL REFERENCES events (id),
    from_user_id BLOB NOT NULL REFERENCES users (id),
    -- Normalized; the recipient may not have an account yet.
    to_email     TEXT NOT NULL,
    to_user_id   BLOB REFERENCES users (id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER
);
-- A pending transfer locks its ticket: at most one per ticket, as a constraint.
CREATE UNIQUE INDEX transfers_one_pending ON transfers (ticket_id) WHERE status = 'pending';
CREATE INDEX transfers_to_email ON transfers (to_email, id);
CREATE INDEX transfers_from_user ON transfers (from_user_id, id);

-- The gate bundle's deltas: a session's tickets in the order they changed.
CREATE INDEX tickets_changed ON tickets (session_id, updated_at);
