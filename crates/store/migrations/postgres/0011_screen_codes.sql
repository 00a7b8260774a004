-- Rotating on-screen codes: a session's choice, and the secret its gate bundle carries.
ALTER TABLE event_sessions ADD COLUMN screen_codes TEXT NOT NULL DEFAULT 'static'
    CHECK (screen_codes IN ('static', 'rotating', 'screen_only'));
ALTER TABLE event_sessions ADD COLUMN screen_secret BYTEA;
UPDATE event_sessions SET screen_secret = decode(md5(random()::text || id::text) || md5(random()::text || id::text), 'hex');
