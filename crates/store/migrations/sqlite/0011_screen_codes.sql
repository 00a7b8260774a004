-- Rotating on-screen codes: a session's choice, and the secret its gate bundle carries.
ALTER TABLE event_sessions ADD COLUMN screen_codes TEXT NOT NULL DEFAULT 'static'
    CHECK (screen_codes IN ('static', 'rotating', 'screen_only'));
ALTER TABLE event_sessions ADD COLUMN screen_secret BLOB;
UPDATE event_sessions SET screen_secret = randomblob(32);
