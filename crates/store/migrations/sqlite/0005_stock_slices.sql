-- A product's stock, in slices (see the PostgreSQL migration of the same name: one writer makes
-- slicing useless here, but both backends share the SQL that reads and takes stock).
CREATE TABLE product_stock (
    product_id BLOB NOT NULL REFERENCES products (id),
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    stock      INTEGER NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (product_id, slice)
) WITHOUT ROWID;
INSERT INTO product_stock (product_id, slice, stock) SELECT id, 0, stock FROM products;
ALTER TABLE products DROP COLUMN stock;
