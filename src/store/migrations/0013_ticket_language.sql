-- The language a ticket's resident reads (BCP 47 primary tag), so that what
-- the bot says about the ticket later (staff took it, closed it, it timed
-- out) is said in it.
ALTER TABLE tickets ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';
