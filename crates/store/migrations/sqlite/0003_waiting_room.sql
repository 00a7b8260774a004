-- The waiting room (S3). Its hot state lives in memory or Redis; what must survive losing that
-- state is kept here: the organizer's settings and a snapshot of each line (how many were
-- waiting when sales opened, the seed of their shuffle, how far admission has gone).
ALTER TABLE event_sessions ADD COLUMN queue_paused INTEGER NOT NULL DEFAULT 0;
-- At most this many admitted buyers at once (0: no limit beyond the rate).
ALTER TABLE event_sessions ADD COLUMN queue_max_active INTEGER NOT NULL DEFAULT 0;
-- Leading zero bits a join's proof of work must have (0: none asked).
ALTER TABLE event_sessions ADD COLUMN queue_pow_bits INTEGER NOT NULL DEFAULT 0;

CREATE TABLE queue_snapshots (
    session_id BLOB PRIMARY KEY REFERENCES event_sessions (id),
    joined     INTEGER NOT NULL,
    presale    INTEGER,
    seed       BLOB,
    admitted   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
