-- Refunds of some of an order's tickets. A refund claims its tickets (`tickets.refund_id`) in
-- one transaction before the provider is asked, so the same ticket is never refunded twice;
-- once the provider answers, the tickets are cancelled, their places given back and the
-- refund recorded as a payment. An order keeps what its refunds gave back in `refunded_cents`.
ALTER TABLE orders ADD COLUMN refunded_cents INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET refunded_cents = COALESCE((SELECT SUM(p.amount_cents) FROM payments p
    WHERE p.order_id = orders.id AND p.kind = 'refund' AND p.status = 'succeeded'), 0)
    WHERE status = 'refunded';

CREATE TABLE ticket_refunds (
    id           BLOB PRIMARY KEY,
    order_id     BLOB NOT NULL REFERENCES orders (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    status       TEXT NOT NULL CHECK (status IN ('requested', 'succeeded')),
    reference    TEXT,
    created_at   INTEGER NOT NULL,
    refunded_at  INTEGER
);
CREATE INDEX ticket_refunds_of_order ON ticket_refunds (order_id);
-- What reconciliation finishes when the provider's answer was lost.
CREATE INDEX ticket_refunds_requested ON ticket_refunds (created_at) WHERE status = 'requested';

ALTER TABLE tickets ADD COLUMN refund_id BLOB REFERENCES ticket_refunds (id);

-- An order has one succeeded charge, and now as many refunds as it has refunds of tickets
-- (each its own reference at the provider), plus at most one of the rest.
DROP INDEX payments_one_success_per_kind;
CREATE UNIQUE INDEX payments_one_charge_per_order ON payments (order_id) WHERE kind = 'charge' AND status = 'succeeded';
CREATE UNIQUE INDEX payments_one_per_refund ON payments (order_id, reference) WHERE kind = 'refund' AND status = 'succeeded';

-- A session's orders found by their buyer.
CREATE INDEX orders_of_session_newest ON orders (session_id, id);
