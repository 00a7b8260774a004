-- B2: a card payment may be split into installments (parcelas).
ALTER TABLE orders ADD COLUMN installments BIGINT NOT NULL DEFAULT 1 CHECK (installments BETWEEN 1 AND 12);
