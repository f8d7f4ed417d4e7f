-- Staff change content in drafts, never straight to residents. A draft holds
-- the new text of each file it changes (relative to the content directory;
-- NULL deletes the file). Publishing a draft writes its files and records a
-- revision with the whole content before and after, so that any revision can
-- be restored (by a draft that `restores` it, which needs no second approver:
-- its content was approved before). Every change and publish is in the audit
-- log.
CREATE TABLE drafts (
    id         INTEGER PRIMARY KEY,
    author     TEXT NOT NULL,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'published', 'discarded')),
    group_key  TEXT,
    entry_id   TEXT,
    restores   INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- `base` is the published text the draft started from (NULL: no such file):
-- a draft whose files were published over since cannot be published.
CREATE TABLE draft_files (
    draft_id INTEGER NOT NULL REFERENCES drafts (id),
    path     TEXT NOT NULL,
    text     TEXT,
    base     TEXT,
    PRIMARY KEY (draft_id, path)
);

CREATE TABLE revisions (
    id           INTEGER PRIMARY KEY,
    draft_id     INTEGER REFERENCES drafts (id),
    author       TEXT NOT NULL,
    approver     TEXT NOT NULL,
    message      TEXT NOT NULL,
    diff         TEXT NOT NULL,
    before       TEXT NOT NULL,
    after        TEXT NOT NULL,
    published_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
