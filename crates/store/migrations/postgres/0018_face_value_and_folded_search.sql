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

-- Search ignores accents and case (`bilheteria_domain::text::fold`, NFKD without combining
-- marks, lower case): the application stores each event's folded search document and each
-- venue's folded city, and folds every query alike. (The `unaccent` extension would need a
-- superuser to install.) Rows made before are folded by the store when it starts, while these
-- columns are still NULL (their free-text category becomes a `Category` code then, `other`
-- when it names none).
ALTER TABLE events DROP COLUMN search;
ALTER TABLE events ADD COLUMN search_folded TEXT;
ALTER TABLE events ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('simple', COALESCE(search_folded, ''))
) STORED;
CREATE INDEX events_search ON events USING GIN (search);
ALTER TABLE venues ADD COLUMN city_folded TEXT;
CREATE INDEX venues_by_city ON venues (city_folded);

