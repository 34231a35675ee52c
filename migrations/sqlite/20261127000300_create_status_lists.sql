-- W3C Bitstring Status Lists: revocation (every credential) and suspension (issuers that enable it).
-- A credential row records its list and index; the published bitstring is computed from the credentials
-- whose revoked_at / suspended_at is set. version changes with every bit, so every replica knows when
-- its cached, signed copy is stale.

ALTER TABLE issuer ADD COLUMN suspension_enabled INTEGER NOT NULL DEFAULT 0 CHECK (suspension_enabled IN (0, 1));

CREATE TABLE status_list (
    status_list_id BLOB PRIMARY KEY NOT NULL,        -- UUID, in the list's URL
    issuer_id      BLOB NOT NULL REFERENCES issuer (issuer_id),
    purpose        TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    size           INTEGER NOT NULL CHECK (size >= 131072),
    version        INTEGER NOT NULL DEFAULT 0,
    -- Indexes handed out so far; a new list opens at half capacity so a random draw is free at least half the time.
    used           INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE INDEX status_list_issuer_idx ON status_list (issuer_id, purpose, created_at);

ALTER TABLE credential ADD COLUMN status_list_id BLOB REFERENCES status_list (status_list_id);
ALTER TABLE credential ADD COLUMN status_index INTEGER;
ALTER TABLE credential ADD COLUMN revoked_at TEXT;
ALTER TABLE credential ADD COLUMN revocation_reason TEXT;
ALTER TABLE credential ADD COLUMN suspension_list_id BLOB REFERENCES status_list (status_list_id);
ALTER TABLE credential ADD COLUMN suspension_index INTEGER;
ALTER TABLE credential ADD COLUMN suspended_at TEXT;
ALTER TABLE credential ADD COLUMN suspension_reason TEXT;
-- No two credentials ever share an index, whichever replica allocated it.
CREATE UNIQUE INDEX credential_status_index_key ON credential (status_list_id, status_index);
CREATE UNIQUE INDEX credential_suspension_index_key ON credential (suspension_list_id, suspension_index);
