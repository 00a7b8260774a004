-- S2: an idempotency key keeps the outcome its first request was answered with (the order's
-- status then), not a rendered HTTP body, so that every channel (the JSON API, the pages) can
-- render a retry in its own words.
ALTER TABLE idempotency_keys ADD COLUMN answered_status TEXT;
UPDATE idempotency_keys
SET answered_status = CASE response_status
    WHEN 201 THEN 'paid'
    WHEN 202 THEN 'payment_pending'
    ELSE 'failed'
END
WHERE response_status IS NOT NULL;
ALTER TABLE idempotency_keys DROP COLUMN response_body;
ALTER TABLE idempotency_keys DROP COLUMN response_status;
