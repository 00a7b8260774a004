-- An order line keeps what it bought as facts, worded for each reader in their language when it
-- is shown (`bilheteria_domain::place::Bought`): the section's name, a seat's row and number,
-- and whether the place was bought on resale. `description` keeps a product's name; a place's
-- line keeps there the English words it was written with before, read only when its facts
-- could not be found again below.
ALTER TABLE order_items ADD COLUMN section_name TEXT;
ALTER TABLE order_items ADD COLUMN row_label TEXT;
ALTER TABLE order_items ADD COLUMN seat_number INTEGER;
ALTER TABLE order_items ADD COLUMN resale INTEGER NOT NULL DEFAULT 0 CHECK (resale IN (0, 1));

-- Lines written before: their seat's or standing section's names as the venue has them, and
-- resale for the lines of an order that bought a listing. Ids are 16-byte blobs here and
-- hyphenated text in `reference_id`.
UPDATE order_items SET
    section_name = (SELECT sec.name FROM seats st JOIN sections sec ON sec.id = st.section_id
                    WHERE st.id = unhex(replace(order_items.reference_id, '-', ''))),
    row_label = (SELECT st.row_label FROM seats st
                 WHERE st.id = unhex(replace(order_items.reference_id, '-', ''))),
    seat_number = (SELECT st.number FROM seats st
                   WHERE st.id = unhex(replace(order_items.reference_id, '-', '')))
WHERE kind = 'seat';
UPDATE order_items SET
    section_name = (SELECT sec.name FROM sections sec
                    WHERE sec.id = unhex(replace(order_items.reference_id, '-', '')))
WHERE kind = 'standing';
UPDATE order_items SET resale = 1
WHERE kind IN ('seat', 'standing')
  AND EXISTS (SELECT 1 FROM orders o WHERE o.id = order_items.order_id AND o.listing_id IS NOT NULL);
