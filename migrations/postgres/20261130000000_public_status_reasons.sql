-- A revocation or suspension has two reasons: the note (revocation_reason, suspension_reason: for assessors and
-- the audit log) and an optional public reason shown on the credential's page. Reasons recorded before this
-- migration were shown publicly; they become notes, so nothing an assessor wrote for colleagues stays public.
ALTER TABLE credential ADD COLUMN revocation_public_reason TEXT;
ALTER TABLE credential ADD COLUMN suspension_public_reason TEXT;
