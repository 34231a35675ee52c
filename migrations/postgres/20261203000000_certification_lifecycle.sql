-- The certification lifecycle: renewals and corrections, suspension deadlines, expiry reminders.

-- A renewal supersedes the credential it renews; a correction revokes the credential it replaces. Both name
-- the newer credential here, set in the transaction that stores it, so a page never shows one without the other.
ALTER TABLE credential ADD COLUMN superseded_by UUID REFERENCES credential (credential_id);
ALTER TABLE credential ADD COLUMN replaced_by UUID REFERENCES credential (credential_id);
-- A suspension with a deadline: if not lifted by then, the lifecycle job revokes it ("withdrawn"). Unix ms.
ALTER TABLE credential ADD COLUMN suspended_until BIGINT;
-- valid_until again as Unix ms: reminders compare it as an integer, the same on both databases.
ALTER TABLE credential ADD COLUMN valid_until_ms BIGINT;
UPDATE credential SET valid_until_ms = (EXTRACT(EPOCH FROM valid_until) * 1000)::BIGINT WHERE valid_until IS NOT NULL;
-- When the lifecycle job next looks at a credential for reminders (Unix ms; NULL: not yet looked at), so a
-- round reads only credentials with a reminder due, however many expire in the window.
ALTER TABLE credential ADD COLUMN next_reminder_ms BIGINT;
CREATE INDEX credential_suspension_deadline_idx ON credential (suspended_until) WHERE suspended_until IS NOT NULL;
CREATE INDEX credential_expiry_idx ON credential (valid_until_ms) WHERE valid_until_ms IS NOT NULL;
-- Rows a replica of an older version inserted without valid_until_ms (during a rolling upgrade): the lifecycle
-- job fills them in, found through this index rather than by reading the table.
CREATE INDEX credential_missing_expiry_idx ON credential (credential_id) WHERE valid_until IS NOT NULL AND valid_until_ms IS NULL;
CREATE INDEX credential_superseded_idx ON credential (superseded_by) WHERE superseded_by IS NOT NULL;
CREATE INDEX credential_replaced_idx ON credential (replaced_by) WHERE replaced_by IS NOT NULL;

-- Days before expiry that learners are reminded, e.g. '90,30' (empty: no reminders).
ALTER TABLE issuer ADD COLUMN expiry_reminder_days TEXT NOT NULL DEFAULT '90,30';

-- Reminders and digests: an outbox like delivery, one row per message, keyed by what it is about so each is
-- queued once whichever replica finds it due ('reminder:<credential>:<days>', 'digest:<issuer>:<ISO week>').
CREATE TABLE notice (
    notice_key       TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('expiry_reminder', 'expiry_digest')),
    issuer_id        UUID NOT NULL REFERENCES issuer (issuer_id),
    credential_id    UUID REFERENCES credential (credential_id),
    recipient_email  TEXT NOT NULL,
    days_before      BIGINT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  BIGINT NOT NULL,   -- Unix ms
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
CREATE INDEX notice_due_idx ON notice (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notice_credential_idx ON notice (credential_id) WHERE credential_id IS NOT NULL;

-- Jobs that one process at a time runs (the lifecycle job): who holds each, until when (Unix ms).
CREATE TABLE job_lease (
    name      TEXT PRIMARY KEY NOT NULL,
    holder    TEXT NOT NULL,
    until_ms  BIGINT NOT NULL
);
