-- Pictures: an event's poster and a product's image, each kept in the sizes the pages use,
-- named by a hash of what was uploaded (so a changed picture gets new URLs). A picture no
-- event or product names any longer is deleted with the change that let it go.
CREATE TABLE images (
    hash         TEXT NOT NULL,
    variant      TEXT NOT NULL CHECK (variant IN ('card', 'page', 'print', 'thumb')),
    content_type TEXT NOT NULL,
    width        BIGINT NOT NULL CHECK (width > 0),
    height       BIGINT NOT NULL CHECK (height > 0),
    bytes        BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (hash, variant)
);
ALTER TABLE events ADD COLUMN poster TEXT;
ALTER TABLE products ADD COLUMN image TEXT;
-- What each product sold (the console's list), read without a scan of every order line.
CREATE INDEX order_items_of_products ON order_items (reference_id) WHERE kind = 'product';
