-- A session's sales paused at once by its organizer (holds refused), and resumed.
ALTER TABLE event_sessions ADD COLUMN sales_paused INTEGER NOT NULL DEFAULT 0 CHECK (sales_paused IN (0, 1));
