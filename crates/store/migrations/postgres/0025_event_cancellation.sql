-- An event cancelled by its organizer: it sells nothing, and its paid orders are refunded in the
-- background (each marked due for reconciliation in the cancelling transaction). The stored
-- status stays draft or published; the records derive `cancelled` from `cancelled_at`.
ALTER TABLE events ADD COLUMN cancelled_at BIGINT;
ALTER TABLE events ADD COLUMN cancel_reason TEXT;
