-- Meia-entrada (B1): a session's places in two pools, each kept in slices like a standing
-- section's (0006): the reserve, assured to half-price buyers of the quota (Lei 12.933/2013),
-- and the open places, for everyone else. Every hold draws its units from one or both, so the
-- quota can never be passed however holds race: `held + sold <= capacity` is a CHECK per slice.
ALTER TABLE event_sessions ADD COLUMN half_price_quota_percent BIGINT NOT NULL DEFAULT 0
    CHECK (half_price_quota_percent BETWEEN 0 AND 100);
ALTER TABLE event_sessions ADD COLUMN half_price_release_at BIGINT;

CREATE TABLE reserve_slices (
    session_id UUID NOT NULL REFERENCES event_sessions (id),
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    capacity   BIGINT NOT NULL CHECK (capacity >= 0),
    held       BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold       BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    CHECK (held + sold <= capacity),
    PRIMARY KEY (session_id, slice)
);
CREATE TABLE open_slices (
    session_id UUID NOT NULL REFERENCES event_sessions (id),
    slice      INTEGER NOT NULL CHECK (slice >= 0),
    capacity   BIGINT NOT NULL CHECK (capacity >= 0),
    held       BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold       BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    CHECK (held + sold <= capacity),
    PRIMARY KEY (session_id, slice)
);

-- What a hold drew from each pool, and which of its places are half price.
ALTER TABLE holds ADD COLUMN open_units BIGINT NOT NULL DEFAULT 0 CHECK (open_units >= 0);
ALTER TABLE holds ADD COLUMN reserve_units BIGINT NOT NULL DEFAULT 0 CHECK (reserve_units >= 0);
ALTER TABLE holds ADD COLUMN half_quantity BIGINT NOT NULL DEFAULT 0 CHECK (half_quantity >= 0);
ALTER TABLE holds ADD COLUMN eligibility TEXT
    CHECK (eligibility IN ('student', 'pcd', 'pcd_companion', 'youth_low_income', 'senior'));
ALTER TABLE hold_seats ADD COLUMN ticket_type TEXT NOT NULL DEFAULT 'full' CHECK (ticket_type IN ('full', 'half'));

ALTER TABLE order_items ADD COLUMN ticket_type TEXT CHECK (ticket_type IN ('full', 'half'));
ALTER TABLE order_items ADD COLUMN eligibility TEXT;

-- A ticket keeps its type, its ground and the pool its place came from through transfers and
-- resales; a refund gives the place back to that pool.
ALTER TABLE tickets ADD COLUMN ticket_type TEXT NOT NULL DEFAULT 'full' CHECK (ticket_type IN ('full', 'half'));
ALTER TABLE tickets ADD COLUMN eligibility TEXT;
ALTER TABLE tickets ADD COLUMN pool TEXT CHECK (pool IN ('open', 'reserve'));

-- Sessions made before meia-entrada have no reserve: their places are all open, and the
-- tickets already sold count in that pool.
INSERT INTO reserve_slices (session_id, slice, capacity) SELECT id, 0, 0 FROM event_sessions;
INSERT INTO open_slices (session_id, slice, capacity, sold)
SELECT s.id, 0,
       (SELECT COUNT(*) FROM session_seats ss WHERE ss.session_id = s.id)
     + COALESCE((SELECT SUM(sl.capacity) FROM standing_slices sl WHERE sl.session_id = s.id), 0),
       (SELECT COUNT(*) FROM tickets t WHERE t.session_id = s.id AND t.status IN ('valid', 'used'))
FROM event_sessions s;
UPDATE tickets SET pool = 'open' WHERE status IN ('valid', 'used');
