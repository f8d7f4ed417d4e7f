-- What a replica must not keep to itself once several share the database:
-- named secrets (the pseudonym key), residents' conversations (the choices
-- offered, so that 「2」 picks on any replica), the LINE webhook events
-- already taken (a redelivery to another replica is not answered twice),
-- and staff sessions. Rows past `expires_at` (Unix time in milliseconds)
-- are dead and pruned.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE conversations (
    key        TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX conversations_expires_at ON conversations (expires_at);

CREATE TABLE line_events (
    event_id   TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX line_events_expires_at ON line_events (expires_at);

CREATE TABLE admin_sessions (
    id         TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
