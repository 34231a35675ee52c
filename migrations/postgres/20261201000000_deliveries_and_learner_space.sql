-- Delivering awards to their learners by e-mail, and the learners' own space (/me).

-- The outbox: one row per award, written in the same transaction as the credential, so an acknowledged
-- award always has its message. Each serve process takes due rows by moving next_attempt_at past the
-- lease (so a replica that dies mid-send leaves the row to be taken again once the lease ends), sends,
-- and records the outcome. Times that rows are compared by are Unix milliseconds: the same integer
-- comparison on both databases.
CREATE TABLE delivery (
    credential_id    UUID PRIMARY KEY NOT NULL REFERENCES credential (credential_id),
    recipient_email  TEXT NOT NULL,      -- where it goes (VC-API credentials have no recipient column)
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  BIGINT NOT NULL,   -- Unix ms: when a pending message is due, or its lease ends
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    claimed_at       TIMESTAMPTZ                -- first opened by the learner from the e-mail or their space
);
CREATE INDEX delivery_due_idx ON delivery (next_attempt_at) WHERE status = 'pending';
-- The metrics count what still needs sending or attention, and the age of the oldest pending message.
CREATE INDEX delivery_attention_idx ON delivery (status, created_at) WHERE status IN ('pending', 'failed');

-- How each issuer's messages go out.
ALTER TABLE issuer ADD COLUMN mail_sender_name TEXT;
ALTER TABLE issuer ADD COLUMN mail_reply_to TEXT;
ALTER TABLE issuer ADD COLUMN attach_pdf BOOLEAN NOT NULL DEFAULT FALSE;

-- Secrets of this deployment, made on first start and shared by its replicas (the learner look-up salt).
CREATE TABLE deployment_secret (
    name  TEXT PRIMARY KEY NOT NULL,
    value BYTEA NOT NULL
);

-- A learner's credentials are found by a salted hash of their address, not the address itself.
ALTER TABLE credential ADD COLUMN recipient_lookup BYTEA;
CREATE INDEX credential_recipient_lookup_idx ON credential (recipient_lookup) WHERE recipient_lookup IS NOT NULL;
-- Awards stored before this migration get theirs at the next start (the hash needs the secret, which SQL
-- does not have); this index finds them without reading the whole table at every start.
CREATE INDEX credential_missing_lookup_idx ON credential (credential_id)
    WHERE recipient_lookup IS NULL AND recipient_email IS NOT NULL;

-- One-time sign-in links (stored as SHA-256 of the token) and the sessions they open.
CREATE TABLE sign_in_token (
    token_hash       BYTEA PRIMARY KEY NOT NULL,
    recipient_lookup BYTEA NOT NULL,
    email            TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,   -- Unix ms
    used_at          BIGINT
);
CREATE TABLE learner_session (
    session_hash     BYTEA PRIMARY KEY NOT NULL,
    recipient_lookup BYTEA NOT NULL,
    email            TEXT NOT NULL,
    expires_at       BIGINT NOT NULL    -- Unix ms
);
