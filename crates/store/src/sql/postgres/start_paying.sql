WITH held AS (UPDATE holds SET expires_at = $1 WHERE id = $2),
seats AS (UPDATE session_seats SET held_until = $1 WHERE hold_id = $2 AND status = 'held')
INSERT INTO orders (id, user_id, session_id, event_id, hold_id, status, total_cents, currency, payment_token, client_ip, idempotency_key, next_settle_at, created_at, updated_at, installments, payment_method, pix_expires_at) VALUES ($3, $4, $5, $6, $2, 'awaiting_payment', $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16)
