WITH entry AS (INSERT INTO audit_log (seq, id, at, actor_id, action, target_type, target_id, ip, before, after, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))
UPDATE audit_head SET hash = $12 WHERE id = 1
