-- A session's sales paused at once by its organizer (holds refused), and resumed.
ALTER TABLE event_sessions ADD COLUMN sales_paused BOOLEAN NOT NULL DEFAULT FALSE;
