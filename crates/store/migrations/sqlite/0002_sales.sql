-- Selling: holds, the per-user cap, orders with idempotency, payments, tickets, the outbox.

-- C1: tickets a user holds, bought or received for a session. The CHECK makes exceeding the
-- session's cap impossible whatever the interleaving: every claim moves this row in its own
-- transaction.
CREATE TABLE allocations (
    user_id    BLOB NOT NULL REFERENCES users (id),
    session_id BLOB NOT NULL REFERENCES event_sessions (id),
    tickets    INTEGER NOT NULL CHECK (tickets >= 0),
    cap        INTEGER NOT NULL,
    CHECK (tickets <= cap),
    PRIMARY KEY (user_id, session_id)
);

CREATE TABLE holds (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    session_id BLOB NOT NULL REFERENCES event_sessions (id),
    section_id BLOB NOT NULL REFERENCES sections (id),
    kind       TEXT NOT NULL CHECK (kind IN ('seats', 'standing')),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    status     TEXT NOT NULL CHECK (status IN ('active', 'released', 'expired', 'ordered')),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX holds_due ON holds (expires_at) WHERE status = 'active';
CREATE INDEX holds_of_user ON holds (user_id, session_id) WHERE status = 'active';
CREATE INDEX holds_of_section ON holds (session_id, section_id) WHERE status = 'active';
CREATE INDEX session_seats_by_hold ON session_seats (hold_id) WHERE hold_id IS NOT NULL;

-- The seats a hold asked for, kept after the hold ends.
CREATE TABLE hold_seats (
    hold_id BLOB NOT NULL REFERENCES holds (id),
    seat_id BLOB NOT NULL REFERENCES seats (id),
    PRIMARY KEY (hold_id, seat_id)
);

CREATE TABLE orders (
    id                BLOB PRIMARY KEY,
    user_id           BLOB NOT NULL REFERENCES users (id),
    session_id        BLOB NOT NULL REFERENCES event_sessions (id),
    event_id          BLOB NOT NULL REFERENCES events (id),
    hold_id           BLOB NOT NULL REFERENCES holds (id),
    status            TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'payment_pending', 'paid', 'failed', 'refunded')),
    total_cents       INTEGER NOT NULL CHECK (total_cents >= 0),
    currency          TEXT NOT NULL,
    -- The provider token, kept to replay the identical charge during reconciliation.
    payment_token     TEXT NOT NULL,
    payment_reference TEXT,
    failure_code      TEXT,
    client_ip         TEXT,
    idempotency_key   TEXT NOT NULL,
    settle_attempts   INTEGER NOT NULL DEFAULT 0,
    next_settle_at    INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_of_user ON orders (user_id, id);
CREATE INDEX orders_of_session ON orders (session_id);
-- Orders reconciliation must look at: unknown outcome, or a refund owed.
CREATE INDEX orders_to_settle ON orders (next_settle_at) WHERE next_settle_at IS NOT NULL;
-- A hold pays for at most one live order; after a decline it may try again.
CREATE UNIQUE INDEX orders_one_live_per_hold ON orders (hold_id) WHERE status IN ('awaiting_payment', 'payment_pending', 'paid');

CREATE TABLE order_items (
    order_id         BLOB NOT NULL REFERENCES orders (id),
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('seat', 'standing', 'product')),
    reference_id     TEXT NOT NULL,
    description      TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, position)
);

-- Money movements as the provider reported them: at most one charge and one refund per order.
CREATE TABLE payments (
    id           BLOB PRIMARY KEY,
    order_id     BLOB NOT NULL REFERENCES orders (id),
    kind         TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    status       TEXT NOT NULL CHECK (status IN ('succeeded', 'declined')),
    reference    TEXT,
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency     TEXT NOT NULL,
    detail       TEXT,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX payments_one_success_per_kind ON payments (order_id, kind) WHERE status = 'succeeded';

-- S2: one purchase attempt per (user, key); the first response is replayed to retries.
CREATE TABLE idempotency_keys (
    user_id         BLOB NOT NULL REFERENCES users (id),
    key             TEXT NOT NULL,
    fingerprint     BLOB NOT NULL,
    order_id        BLOB,
    response_status INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE tickets (
    id         BLOB PRIMARY KEY,
    order_id   BLOB NOT NULL REFERENCES orders (id),
    session_id BLOB NOT NULL REFERENCES event_sessions (id),
    event_id   BLOB NOT NULL REFERENCES events (id),
    section_id BLOB NOT NULL REFERENCES sections (id),
    seat_id    BLOB REFERENCES seats (id),
    holder_id  BLOB NOT NULL REFERENCES users (id),
    status     TEXT NOT NULL CHECK (status IN ('valid', 'used', 'cancelled')),
    version    INTEGER NOT NULL,
    code       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- S1 as a constraint: a seat has at most one ticket that is not cancelled.
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (session_id, seat_id) WHERE seat_id IS NOT NULL AND status <> 'cancelled';
CREATE INDEX tickets_of_holder ON tickets (holder_id, id);
CREATE INDEX tickets_of_order ON tickets (order_id);

-- S9: messages to deliver after commit, at least once; `dedupe_key` makes enqueueing idempotent.
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (created_at) WHERE status = 'dead';
