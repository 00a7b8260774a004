-- Audit entries recorded by transactions that many buyers run at once (a paid order). They do
-- not take the audit head: a worker appends them to the chain in batches, one head update per
-- batch, and reads of the log append what is queued first.
CREATE TABLE audit_queue (
    id          BLOB PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    BLOB,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    ip          TEXT,
    before      TEXT,
    after       TEXT
);
