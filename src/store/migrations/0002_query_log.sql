-- The query log: each reply keeps the resident's message (personal data
-- masked) and whether it was typed (rather than a tapped button), the words
-- searched for (to group similar questions), the answer's
-- confidence and the best candidates with their scores. Staff mark groups of
-- unanswered questions as done or ignored.
ALTER TABLE replies ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE replies ADD COLUMN typed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN words TEXT NOT NULL DEFAULT '';
ALTER TABLE replies ADD COLUMN confidence TEXT;
ALTER TABLE replies ADD COLUMN candidates TEXT NOT NULL DEFAULT '[]';
CREATE INDEX replies_decision ON replies (decision, created_at);

CREATE TABLE review_groups (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('done', 'ignored')),
    entry_id   TEXT,
    updated_at INTEGER NOT NULL
);
