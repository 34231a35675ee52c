-- Issuers (awarding bodies), their public signing keys, and the API keys assessors and admins use.
-- The DID is stored, not derived at run time, so that changing the public URL never silently changes the
-- identity that signed earlier credentials. Private keys are files, never rows.

CREATE TABLE issuer (
    issuer_id   UUID PRIMARY KEY,
    slug        TEXT NOT NULL CONSTRAINT issuer_slug_key UNIQUE,
    did         TEXT NOT NULL CONSTRAINT issuer_did_key UNIQUE,
    did_method  TEXT NOT NULL CHECK (did_method IN ('web', 'key')),
    name        TEXT NOT NULL,
    url         TEXT,
    email       TEXT,
    country     TEXT,
    description TEXT,
    logo_url    TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE issuer_key (
    -- The key's multibase (z6Mk...), also the fragment of its verification method id.
    key_id      TEXT PRIMARY KEY,
    issuer_id   UUID NOT NULL REFERENCES issuer (issuer_id),
    public_key  BYTEA NOT NULL CHECK (length(public_key) = 32),
    created_at  TIMESTAMPTZ NOT NULL,
    -- Retired keys stay published so credentials they signed keep verifying; they no longer sign.
    retired_at  TIMESTAMPTZ
);
CREATE INDEX issuer_key_issuer_idx ON issuer_key (issuer_id);
-- At most one active (signing) key per issuer, also when two replicas rotate at once.
CREATE UNIQUE INDEX issuer_key_one_active_key ON issuer_key (issuer_id) WHERE retired_at IS NULL;

CREATE TABLE api_key (
    api_key_id  UUID PRIMARY KEY,                    -- also the token's public prefix
    issuer_id   UUID NOT NULL REFERENCES issuer (issuer_id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'assessor')),
    name        TEXT NOT NULL,
    -- SHA-256 of the token's 256-bit secret; the token itself is shown once and never stored.
    secret_hash BYTEA NOT NULL CHECK (length(secret_hash) = 32),
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
