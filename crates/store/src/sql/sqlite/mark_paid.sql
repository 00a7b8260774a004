UPDATE holds SET status = 'ordered' WHERE id = $1;
UPDATE orders SET status = 'paid', payment_reference = $2, next_settle_at = NULL, updated_at = $3 WHERE id = $4;
INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, created_at) VALUES ($5, $4, 'charge', 'succeeded', $2, $6, $7, $3);
INSERT INTO outbox (id, kind, dedupe_key, payload, status, next_attempt_at, created_at) SELECT $8, 'order_paid', $9, json_object('order_id', $12, 'to', email), 'pending', $3, $3 FROM users WHERE id = $10 ON CONFLICT (dedupe_key) DO NOTHING;
INSERT INTO audit_queue (id, at, actor_id, action, target_type, target_id, ip, before, after) VALUES ($13, $3, $10, 'order.paid', 'order', $12, NULL, NULL, $14);
UPDATE idempotency_keys SET answered_status = 'paid' WHERE user_id = $10 AND key = $11 AND answered_status IS NULL
