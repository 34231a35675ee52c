-- Batches of awards sent with an Idempotency-Key: the response is kept, written in the same transaction
-- as the batch's credentials, so a retry gets the same answer and a retry after a crash issues nothing twice.

CREATE TABLE award_batch (
    award_batch_id  BLOB PRIMARY KEY NOT NULL,
    issuer_id       BLOB NOT NULL REFERENCES issuer (issuer_id),
    idempotency_key TEXT NOT NULL,
    request_hash    BLOB NOT NULL,
    response        TEXT NOT NULL,                   -- JSON, as first answered
    created_at      TEXT NOT NULL,
    CONSTRAINT award_batch_idempotency_key UNIQUE (issuer_id, idempotency_key)
);
