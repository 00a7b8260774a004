-- A ticket's own listings, newest first: what its seller's page of it shows.
CREATE INDEX resale_listings_of_ticket ON resale_listings (ticket_id, created_at);
