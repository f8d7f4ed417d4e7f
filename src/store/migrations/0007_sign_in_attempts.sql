-- Staff sign-in attempts, counted per client address and per account over
-- a window (a minute, an hour), in the database so that every replica
-- counts the same attempts. Each row lives as long as its window.
CREATE TABLE sign_in_attempts (
    key        TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (key, expires_at);
