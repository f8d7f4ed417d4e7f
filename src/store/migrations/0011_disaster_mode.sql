-- Disaster mode: one row while it is on, read by every replica each second.
-- Each switch is also written to the audit log (who, when, the notice).
CREATE TABLE disaster_mode (
    scope TEXT PRIMARY KEY,
    notice TEXT NOT NULL,
    link TEXT,
    since INTEGER NOT NULL,
    switched_by TEXT NOT NULL
);
