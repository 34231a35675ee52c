-- Credentials issued through the W3C VC-API (/credentials/issue) are stored too, so that they get a status
-- list index that the database guarantees unique, and can be revoked or suspended like awards. They have no
-- catalogue achievement and no recipient columns, so those become optional; external_id keeps the
-- credential's own `id` (any URL the caller chose), by which /credentials/status finds it.

ALTER TABLE credential ALTER COLUMN achievement_id DROP NOT NULL;
ALTER TABLE credential ALTER COLUMN recipient_name DROP NOT NULL;
ALTER TABLE credential ALTER COLUMN recipient_email DROP NOT NULL;
ALTER TABLE credential ADD COLUMN external_id TEXT;
-- An award names its achievement and its recipient; only VC-API credentials go without.
ALTER TABLE credential ADD CONSTRAINT credential_award_complete
    CHECK ((achievement_id IS NULL) = (recipient_email IS NULL) AND (recipient_email IS NULL) = (recipient_name IS NULL));
CREATE INDEX credential_external_id_idx ON credential (external_id) WHERE external_id IS NOT NULL;
