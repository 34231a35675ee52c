-- Issued credentials (awards). The signed document is stored whole, as issued; the other columns are what
-- listing, duplicate detection and idempotent retries query.

CREATE TABLE credential (
    credential_id    BLOB PRIMARY KEY NOT NULL,      -- UUID, random; the last segment of the public URL
    issuer_id        BLOB NOT NULL REFERENCES issuer (issuer_id),
    achievement_id   BLOB NOT NULL REFERENCES achievement (achievement_id),
    recipient_name   TEXT NOT NULL,
    recipient_email  TEXT NOT NULL,                  -- trimmed and lower-cased
    document         TEXT NOT NULL,                  -- the signed credential JSON
    issued_at        TEXT NOT NULL,
    valid_until      TEXT,
    language         TEXT,
    -- Awarding the same achievement to the same person twice needs an explicit allow_duplicate.
    allow_duplicate  INTEGER NOT NULL DEFAULT 0 CHECK (allow_duplicate IN (0, 1)),
    idempotency_key  TEXT,
    request_hash     BLOB,
    api_key_id       BLOB REFERENCES api_key (api_key_id),
    CONSTRAINT credential_idempotency_key UNIQUE (issuer_id, idempotency_key)
);
-- The database, not the code, guarantees one award per (achievement, recipient) unless duplicates were asked for.
CREATE UNIQUE INDEX credential_one_award_per_recipient ON credential (achievement_id, recipient_email) WHERE allow_duplicate = 0;
CREATE INDEX credential_issuer_issued_idx ON credential (issuer_id, issued_at, credential_id);
CREATE INDEX credential_recipient_idx ON credential (recipient_email);
