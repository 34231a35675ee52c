-- Credentials issued through the W3C VC-API (/credentials/issue) are stored too, so that they get a status
-- list index that the database guarantees unique, and can be revoked or suspended like awards. They have no
-- catalogue achievement and no recipient columns, so those become optional; external_id keeps the
-- credential's own `id` (any URL the caller chose), by which /credentials/status finds it.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt (nothing references it).

CREATE TABLE credential_new (
    credential_id      BLOB PRIMARY KEY NOT NULL,
    issuer_id          BLOB NOT NULL REFERENCES issuer (issuer_id),
    achievement_id     BLOB REFERENCES achievement (achievement_id),
    recipient_name     TEXT,
    recipient_email    TEXT,
    document           TEXT NOT NULL,
    issued_at          TEXT NOT NULL,
    valid_until        TEXT,
    language           TEXT,
    allow_duplicate    INTEGER NOT NULL DEFAULT 0 CHECK (allow_duplicate IN (0, 1)),
    idempotency_key    TEXT,
    request_hash       BLOB,
    api_key_id         BLOB REFERENCES api_key (api_key_id),
    status_list_id     BLOB REFERENCES status_list (status_list_id),
    status_index       INTEGER,
    revoked_at         TEXT,
    revocation_reason  TEXT,
    suspension_list_id BLOB REFERENCES status_list (status_list_id),
    suspension_index   INTEGER,
    suspended_at       TEXT,
    suspension_reason  TEXT,
    external_id        TEXT,
    CONSTRAINT credential_idempotency_key UNIQUE (issuer_id, idempotency_key),
    -- An award names its achievement and its recipient; only VC-API credentials go without.
    CHECK ((achievement_id IS NULL) = (recipient_email IS NULL) AND (recipient_email IS NULL) = (recipient_name IS NULL))
);

INSERT INTO credential_new (credential_id, issuer_id, achievement_id, recipient_name, recipient_email, document,
    issued_at, valid_until, language, allow_duplicate, idempotency_key, request_hash, api_key_id, status_list_id,
    status_index, revoked_at, revocation_reason, suspension_list_id, suspension_index, suspended_at, suspension_reason)
SELECT credential_id, issuer_id, achievement_id, recipient_name, recipient_email, document, issued_at, valid_until,
    language, allow_duplicate, idempotency_key, request_hash, api_key_id, status_list_id, status_index, revoked_at,
    revocation_reason, suspension_list_id, suspension_index, suspended_at, suspension_reason
FROM credential;

DROP TABLE credential;
ALTER TABLE credential_new RENAME TO credential;

CREATE UNIQUE INDEX credential_one_award_per_recipient ON credential (achievement_id, recipient_email) WHERE allow_duplicate = 0;
CREATE INDEX credential_issuer_issued_idx ON credential (issuer_id, issued_at, credential_id);
CREATE INDEX credential_recipient_idx ON credential (recipient_email);
CREATE UNIQUE INDEX credential_status_index_key ON credential (status_list_id, status_index);
CREATE UNIQUE INDEX credential_suspension_index_key ON credential (suspension_list_id, suspension_index);
CREATE INDEX credential_external_id_idx ON credential (external_id) WHERE external_id IS NOT NULL;
