-- LINE webhook events are written here before the webhook answers 200, and
-- deleted once answered: a replica that dies after acknowledging loses
-- nothing. A worker on any replica claims the oldest event of a chat (one
-- chat's events are answered in order); a claim lapses when its replica
-- stops sending heartbeats, and another replica takes the event over.
CREATE TABLE line_queue (
    id          INTEGER PRIMARY KEY,
    chat        TEXT NOT NULL,
    event       TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    claimed_by  TEXT
);
CREATE INDEX line_queue_chat ON line_queue (chat, id);

-- Each running replica and when it last said it was alive (Unix time in
-- milliseconds).
CREATE TABLE replicas (
    id      TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
