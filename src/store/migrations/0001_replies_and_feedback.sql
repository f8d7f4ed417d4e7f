-- Every reply the bot gives (no message text: the query log adds it, masked),
-- and residents' votes on whether an answer helped.
CREATE TABLE replies (
    id              TEXT PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    session         TEXT,
    decision        TEXT NOT NULL,
    entry_id        TEXT,
    content_version TEXT NOT NULL
);
CREATE INDEX replies_created_at ON replies (created_at);

CREATE TABLE feedback (
    reply_id   TEXT PRIMARY KEY REFERENCES replies (id),
    helpful    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
