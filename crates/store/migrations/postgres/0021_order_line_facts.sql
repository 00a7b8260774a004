-- An order line keeps what it bought as facts, worded for each reader in their language when it
-- is shown (`bilheteria_domain::place::Bought`): the section's name, a seat's row and number,
-- and whether the place was bought on resale. `description` keeps a product's name; a place's
-- line keeps there the English words it was written with before, read only when its facts
-- could not be found again below.
ALTER TABLE order_items ADD COLUMN section_name TEXT;
ALTER TABLE order_items ADD COLUMN row_label TEXT;
ALTER TABLE order_items ADD COLUMN seat_number BIGINT;
ALTER TABLE order_items ADD COLUMN resale BOOLEAN NOT NULL DEFAULT FALSE;

-- Lines written before: their seat's or standing section's names as the venue has them, and
-- resale for the lines of an order that bought a listing.
UPDATE order_items oi SET section_name = sec.name, row_label = st.row_label, seat_number = st.number
FROM seats st JOIN sections sec ON sec.id = st.section_id
WHERE oi.kind = 'seat' AND oi.reference_id = st.id::text;
UPDATE order_items oi SET section_name = sec.name
FROM sections sec
WHERE oi.kind = 'standing' AND oi.reference_id = sec.id::text;
UPDATE order_items oi SET resale = TRUE
FROM orders o
WHERE o.id = oi.order_id AND o.listing_id IS NOT NULL AND oi.kind IN ('seat', 'standing');
