-- The audit log: who (API key, or the operator's command line) did what, to what, when and why. Rows are
-- only ever inserted; no API updates or deletes them.

CREATE TABLE audit_event (
    audit_event_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    api_key_id     UUID,                              -- NULL for the operator's command line
    issuer_id      UUID,
    action         TEXT NOT NULL,                    -- e.g. credential.issue, credential.revoke, key.rotate
    subject        TEXT NOT NULL,                    -- the id of what was acted on
    reason         TEXT
);
CREATE INDEX audit_event_at_idx ON audit_event (at);
