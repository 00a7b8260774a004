-- Issue 26, items 18 and 19: verified addresses, and the single-use tokens mailed to reset a
-- password or to confirm an address (only their SHA-256 is kept).
-- Accounts made before this migration are unverified: whoever registered an address first may
-- not own it, and a transfer to that address now waits for its owner to confirm it.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

CREATE TABLE account_tokens (
    token_hash  BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
