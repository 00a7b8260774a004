-- A ticket's face value: what its holder's order paid for this one place, fixed when the ticket
-- is issued (and set to the price paid when a resale hands it on). Resale's price cap, and so
-- the refund of a resold ticket's order and the organizer's fee, read it here instead of
-- matching a ticket to an order line, which cannot tell a full place from a half one of the same
-- standing section in one order.
ALTER TABLE tickets ADD COLUMN face_value_cents INTEGER NOT NULL DEFAULT 0 CHECK (face_value_cents >= 0);

-- Tickets issued before: their order's line for the same place and type (lines made before
-- meia-entrada have no type and were all full price). Ids are 16-byte blobs here and
-- hyphenated text in `reference_id`.
UPDATE tickets SET face_value_cents = COALESCE((
    SELECT MIN(oi.unit_price_cents) FROM order_items oi
    WHERE oi.order_id = tickets.order_id
      AND oi.kind IN ('seat', 'standing')
      AND replace(oi.reference_id, '-', '') = lower(hex(COALESCE(tickets.seat_id, tickets.section_id)))
      AND COALESCE(oi.ticket_type, 'full') = tickets.ticket_type
), 0);

-- Search ignores accents and case (`bilheteria_domain::text::fold`, NFKD without combining
-- marks, lower case): the application stores each event's folded search document, which the
-- full-text index now indexes, and each venue's folded city, and folds every query alike. Rows
-- made before are folded by the store when it starts, while these columns are still NULL
-- (their free-text category becomes a `Category` code then, `other` when it names none).
ALTER TABLE events ADD COLUMN search_folded TEXT;
ALTER TABLE venues ADD COLUMN city_folded TEXT;
CREATE INDEX venues_by_city ON venues (city_folded);
DROP TRIGGER event_search_insert;
DROP TRIGGER event_search_update;
CREATE TRIGGER event_search_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_search (rowid, body) VALUES (new.search_rowid, COALESCE(new.search_folded, ''));
END;
CREATE TRIGGER event_search_update AFTER UPDATE OF search_folded ON events BEGIN
    DELETE FROM event_search WHERE rowid = old.search_rowid;
    INSERT INTO event_search (rowid, body) VALUES (new.search_rowid, COALESCE(new.search_folded, ''));
END;

