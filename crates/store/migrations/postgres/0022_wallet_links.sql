-- The wallet link mailed with an order shows its tickets without logging in. Its tag is an HMAC
-- of the order and this generation; the buyer revokes every link sent so far by moving it on.
ALTER TABLE orders ADD COLUMN wallet_generation BIGINT NOT NULL DEFAULT 0;
