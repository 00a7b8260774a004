-- Face-value resale: listings, the orders that buy them, and what their sellers are paid back.
ALTER TABLE event_sessions ADD COLUMN resale_fee_percent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE resale_listings (
    id               BLOB PRIMARY KEY,
    ticket_id        BLOB NOT NULL REFERENCES tickets (id),
    session_id       BLOB NOT NULL REFERENCES event_sessions (id),
    event_id         BLOB NOT NULL REFERENCES events (id),
    seller_id        BLOB NOT NULL REFERENCES users (id),
    -- The order the ticket belonged to when listed: the seller is paid back against its charge.
    source_order_id  BLOB NOT NULL REFERENCES orders (id),
    price_cents      INTEGER NOT NULL CHECK (price_cents > 0),
    face_value_cents INTEGER NOT NULL CHECK (price_cents <= face_value_cents),
    payout_cents     INTEGER NOT NULL CHECK (payout_cents >= 0 AND payout_cents <= price_cents),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('listed', 'reserved', 'sold', 'withdrawn', 'cancelled')),
    -- The order paying for it, while reserved, and once sold.
    buyer_order_id   BLOB REFERENCES orders (id),
    -- Offered first to the head of the session's waitlist, until then.
    offered_to       BLOB REFERENCES users (id),
    offered_until    INTEGER,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER
);
-- One open listing per ticket, as a constraint.
CREATE UNIQUE INDEX resale_one_open_listing ON resale_listings (ticket_id) WHERE status IN ('listed', 'reserved');
CREATE INDEX resale_of_session ON resale_listings (session_id, status, price_cents);

-- A resale order names its listing (its hold is a record of the one place it buys).
ALTER TABLE orders ADD COLUMN listing_id BLOB REFERENCES resale_listings (id);

CREATE TABLE resale_payouts (
    listing_id   BLOB PRIMARY KEY REFERENCES resale_listings (id),
    order_id     BLOB NOT NULL REFERENCES orders (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded')),
    reference    TEXT,
    created_at   INTEGER NOT NULL,
    paid_at      INTEGER
);
CREATE INDEX resale_payouts_pending ON resale_payouts (created_at) WHERE status = 'pending';

-- Buyers waiting for a sold-out session, served in the order they joined.
CREATE TABLE waitlist (
    id               BLOB PRIMARY KEY,
    session_id       BLOB NOT NULL REFERENCES event_sessions (id),
    user_id          BLOB NOT NULL REFERENCES users (id),
    status           TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'served', 'lapsed', 'left')),
    listing_id       BLOB REFERENCES resale_listings (id),
    offer_expires_at INTEGER,
    joined_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX waitlist_once ON waitlist (session_id, user_id) WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_in_line ON waitlist (session_id, joined_at, id) WHERE status = 'waiting';
