-- A standing section's places, in slices (see the PostgreSQL migration of the same name).
-- The counters move out of session_sections. SQLite cannot drop columns a table CHECK names, so
-- that table is rebuilt without them; the counters wait in a scratch table meanwhile, since a
-- table referencing session_sections would not let it be dropped.
CREATE TABLE standing_counts AS
SELECT ss.session_id, ss.section_id, ss.capacity, ss.held, ss.sold
FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id
WHERE sec.kind = 'standing';
CREATE TABLE session_sections_rebuilt (
    session_id  BLOB NOT NULL REFERENCES event_sessions (id),
    section_id  BLOB NOT NULL REFERENCES sections (id),
    category_id BLOB NOT NULL REFERENCES seat_categories (id),
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    PRIMARY KEY (session_id, section_id)
) WITHOUT ROWID;
INSERT INTO session_sections_rebuilt (session_id, section_id, category_id, capacity)
SELECT session_id, section_id, category_id, capacity FROM session_sections;
DROP TABLE session_sections;
ALTER TABLE session_sections_rebuilt RENAME TO session_sections;
CREATE TABLE standing_slices (
    session_id BLOB NOT NULL,
    section_id BLOB NOT NULL,
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    capacity   INTEGER NOT NULL CHECK (capacity >= 0),
    held       INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold       INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    CHECK (held + sold <= capacity),
    PRIMARY KEY (session_id, section_id, slice),
    FOREIGN KEY (session_id, section_id) REFERENCES session_sections (session_id, section_id)
) WITHOUT ROWID;
INSERT INTO standing_slices (session_id, section_id, slice, capacity, held, sold)
SELECT session_id, section_id, 0, capacity, held, sold FROM standing_counts;
DROP TABLE standing_counts;
