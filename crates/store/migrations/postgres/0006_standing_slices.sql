-- A standing section's places, in slices like a product's stock (0005): every standing hold and
-- every settlement of one moves a counter, and on one row they queued on its lock from their
-- update to their commit. Places are interchangeable, so a hold is not tied to a slice: each
-- move draws from whichever slices have the units. A section's places are its slices' sums.
CREATE TABLE standing_slices (
    session_id UUID NOT NULL,
    section_id UUID NOT NULL,
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    capacity   BIGINT NOT NULL CHECK (capacity >= 0),
    held       BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold       BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    CHECK (held + sold <= capacity),
    PRIMARY KEY (session_id, section_id, slice),
    FOREIGN KEY (session_id, section_id) REFERENCES session_sections (session_id, section_id)
);
INSERT INTO standing_slices (session_id, section_id, slice, capacity, held, sold)
SELECT ss.session_id, ss.section_id, 0, ss.capacity, ss.held, ss.sold
FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id
WHERE sec.kind = 'standing';
ALTER TABLE session_sections DROP COLUMN sold, DROP COLUMN held;
