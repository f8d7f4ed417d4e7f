-- Handoff to staff (有人対応): a ticket per conversation handed over, its
-- messages (masked), and the notices to staff's chat tools, sent from an
-- outbox with retries.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    resident TEXT NOT NULL,
    -- Where to push staff replies (LINE: the sealed user id); NULL on the web.
    address TEXT,
    department TEXT NOT NULL,
    state TEXT NOT NULL,
    assignee TEXT,
    -- Left outside office hours: does not time out.
    left_message INTEGER NOT NULL,
    -- The conversation before the handover, as JSON.
    context TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    first_reply_at INTEGER,
    last_activity_at INTEGER NOT NULL,
    closed_at INTEGER,
    close_reason TEXT,
    answer_entry TEXT
);
CREATE INDEX tickets_resident ON tickets (resident, state);
CREATE INDEX tickets_state ON tickets (state, created_at);

CREATE TABLE ticket_messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    author TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);

CREATE TABLE staff_notices (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    sent_at INTEGER,
    failed_at INTEGER
);
CREATE INDEX staff_notices_due ON staff_notices (next_at);
