-- A ticket's face value: what its holder's order paid for this one place, fixed when the ticket
-- is issued (and set to the price paid when a resale hands it on). Resale's price cap, and so
-- the refund of a resold ticket's order and the organizer's fee, read it here instead of
-- matching a ticket to an order line, which cannot tell a full place from a half one of the same
-- standing section in one order.
ALTER TABLE tickets ADD COLUMN face_value_cents BIGINT NOT NULL DEFAULT 0 CHECK (face_value_cents >= 0);

-- Tickets issued before: their order's line for the same place and type (lines made before
-- meia-entrada have no type and were all full price).
UPDATE tickets t SET face_value_cents = COALESCE((
    SELECT MIN(oi.unit_price_cents) FROM order_items oi
    WHERE oi.order_id = t.order_id
      AND oi.kind IN ('seat', 'standing')
      AND oi.reference_id = COALESCE(t.seat_id, t.section_id)::text
      AND COALESCE(oi.ticket_type, 'full') = t.ticket_type
), 0);
