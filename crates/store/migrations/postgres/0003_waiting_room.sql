-- The waiting room (S3). Its hot state lives in memory or Redis; what must survive losing that
-- state is kept here: the organizer's settings and a snapshot of each line (how many were
-- waiting when sales opened, the seed of their shuffle, how far admission has gone).
ALTER TABLE event_sessions ADD COLUMN queue_paused BOOLEAN NOT NULL DEFAULT FALSE;
-- At most this many admitted buyers at once (0: no limit beyond the rate).
ALTER TABLE event_sessions ADD COLUMN queue_max_active BIGINT NOT NULL DEFAULT 0;
-- Leading zero bits a join's proof of work must have (0: none asked).
ALTER TABLE event_sessions ADD COLUMN queue_pow_bits BIGINT NOT NULL DEFAULT 0;

CREATE TABLE queue_snapshots (
    session_id UUID PRIMARY KEY REFERENCES event_sessions (id),
    joined     BIGINT NOT NULL,
    presale    BIGINT,
    seed       BYTEA,
    admitted   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
