-- Issued credentials (awards). The signed document is stored whole, as issued; the other columns are what
-- listing, duplicate detection and idempotent retries query.

CREATE TABLE credential (
    credential_id    UUID PRIMARY KEY,               -- random; the last segment of the public URL
    issuer_id        UUID NOT NULL REFERENCES issuer (issuer_id),
    achievement_id   UUID NOT NULL REFERENCES achievement (achievement_id),
    recipient_name   TEXT NOT NULL,
    recipient_email  TEXT NOT NULL,                  -- trimmed and lower-cased
    document         TEXT NOT NULL,                  -- the signed credential JSON
    issued_at        TIMESTAMPTZ NOT NULL,
    valid_until      TIMESTAMPTZ,
    language         TEXT,
    -- Awarding the same achievement to the same person twice needs an explicit allow_duplicate.
    allow_duplicate  BOOLEAN NOT NULL DEFAULT FALSE,
    idempotency_key  TEXT,
    request_hash     BYTEA,
    api_key_id       UUID REFERENCES api_key (api_key_id),
    CONSTRAINT credential_idempotency_key UNIQUE (issuer_id, idempotency_key)
);
-- The database, not the code, guarantees one award per (achievement, recipient) unless duplicates were asked for.
CREATE UNIQUE INDEX credential_one_award_per_recipient ON credential (achievement_id, recipient_email) WHERE NOT allow_duplicate;
CREATE INDEX credential_issuer_issued_idx ON credential (issuer_id, issued_at, credential_id);
CREATE INDEX credential_recipient_idx ON credential (recipient_email);
