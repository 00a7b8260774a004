-- The back office's exports read a session's orders, tickets and scans in keyset pages by id:
-- each page an index range, not a sort of the whole session.
CREATE INDEX orders_of_session_by_id ON orders (session_id, id);
CREATE INDEX tickets_of_session_by_id ON tickets (session_id, id);
CREATE INDEX checkins_of_session_by_id ON checkins (session_id, id);
