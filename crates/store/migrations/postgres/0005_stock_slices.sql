-- A product's stock, in slices. Every paid order takes stock; on one row, orders would queue on
-- its lock from their update to their commit. Each order takes from one slice that has enough,
-- so up to that many orders settle at once; the product's stock is the slices' sum.
CREATE TABLE product_stock (
    product_id UUID NOT NULL REFERENCES products (id),
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    stock      BIGINT NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (product_id, slice)
);
INSERT INTO product_stock (product_id, slice, stock) SELECT id, 0, stock FROM products;
ALTER TABLE products DROP COLUMN stock;
