-- The seat-map builder: where a venue's stage is and what it is called, and each seated
-- section's rows with their layout (numbering direction, empty places, wheelchair and companion
-- seats) as JSON, written with the section; NULL for sections made before, whose rows are plain
-- and read from their seats. A seat's place in its row is computed from its row's layout.
ALTER TABLE venues ADD COLUMN stage_position TEXT NOT NULL DEFAULT 'top' CHECK (stage_position IN ('top', 'bottom'));
ALTER TABLE venues ADD COLUMN stage_label TEXT;
ALTER TABLE sections ADD COLUMN rows_detail TEXT;
