-- B3: sessions are shown, mailed and printed in their venue's time zone.
ALTER TABLE venues ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Sao_Paulo';
