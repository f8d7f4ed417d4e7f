-- The LINE message a reply answered (its id as a pseudonym), so that when
-- the resident unsends the message its text is deleted from the log.
ALTER TABLE replies ADD COLUMN source_message TEXT;
CREATE INDEX replies_source_message ON replies (source_message);
