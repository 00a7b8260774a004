-- Pix (B2): an order paid by Pix waits for the buyer's bank; its places are kept until the Pix
-- expires (a session setting), then released.
ALTER TABLE event_sessions ADD COLUMN pix_expires_after_seconds BIGINT NOT NULL DEFAULT 900;
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'card' CHECK (payment_method IN ('card', 'pix'));
ALTER TABLE orders ADD COLUMN pix_copy_paste TEXT;
ALTER TABLE orders ADD COLUMN pix_expires_at BIGINT;
