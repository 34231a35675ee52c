-- "Add to wallet": OpenID4VCI pre-authorized offers and VCALM exchanges, minted on demand.

-- One offer per "Add to wallet" press or API call. Its id is public (the credential_offer_uri, the VCALM
-- interaction URL and exchange URL carry it); its secrets are stored as SHA-256 hashes, except the
-- pre-authorized code itself, which the offer URI must hand out once and is cleared when it has.
-- Single use: redeemed_at is set once, by the token endpoint or by a finished exchange, whichever is first.
-- Times are Unix milliseconds, compared as integers on both databases.
CREATE TABLE wallet_offer (
    offer_id          TEXT PRIMARY KEY NOT NULL,
    credential_id     UUID NOT NULL REFERENCES credential (credential_id),
    code              TEXT,                    -- the pre-authorized code until the offer is served
    code_hash         BYTEA NOT NULL UNIQUE,
    tx_code_hash      BYTEA,                   -- the transaction code's hash, when one is asked for
    tx_code_failures  BIGINT NOT NULL DEFAULT 0,
    challenge         TEXT NOT NULL,           -- the VCALM exchange's DIDAuthentication challenge
    created_by        TEXT NOT NULL,           -- "learner" or the API key id
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    served_at         BIGINT,
    redeemed_at       BIGINT,
    protocol          TEXT CHECK (protocol IN ('oid4vci', 'vcapi')),
    token_hash        BYTEA UNIQUE,            -- the access token's hash (OpenID4VCI)
    token_expires_at  BIGINT
);
CREATE INDEX wallet_offer_expiry_idx ON wallet_offer (expires_at);

-- c_nonce values from the nonce endpoint: each accepted once, until it expires.
CREATE TABLE wallet_nonce (
    nonce_hash  BYTEA PRIMARY KEY NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX wallet_nonce_expiry_idx ON wallet_nonce (expires_at);

-- Each credential handed to a wallet: to whom (the holder's DID, none for a bearer credential) and what
-- the wallet said about it afterwards (the notification endpoint's events).
CREATE TABLE wallet_credential (
    notification_id  TEXT PRIMARY KEY NOT NULL,
    offer_id         TEXT NOT NULL REFERENCES wallet_offer (offer_id),
    credential_id    UUID NOT NULL REFERENCES credential (credential_id),
    holder           TEXT,
    protocol         TEXT NOT NULL CHECK (protocol IN ('oid4vci', 'vcapi')),
    issued_at        BIGINT NOT NULL,
    event            TEXT CHECK (event IN ('credential_accepted', 'credential_failure', 'credential_deleted')),
    event_at         BIGINT
);
CREATE INDEX wallet_credential_credential_idx ON wallet_credential (credential_id);
-- One credential per offer: a wallet that wants another copy asks for a new offer.
CREATE UNIQUE INDEX wallet_credential_offer_key ON wallet_credential (offer_id);

-- Per issuer: whether a wallet must prove a key (holder binding) or may take the award as a bearer
-- credential.
ALTER TABLE issuer ADD COLUMN holder_binding_required BOOLEAN NOT NULL DEFAULT FALSE;
