-- Re-signing a status list reads the indexes whose bit is set. Without these, the query walked every credential
-- of the list (up to 65,536, each a row of about 5 KB) to look at revoked_at, so publishing a change grew slower
-- as lists filled (30 ms → 100 ms at a million credentials). Partial indexes hold only the set bits, so the read
-- costs what the list's revocations cost, whatever the list's size; the time column
-- is included so that the read never touches the table (a covering index).
CREATE INDEX credential_revoked_idx ON credential (status_list_id, status_index, revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX credential_suspended_idx ON credential (suspension_list_id, suspension_index, suspended_at) WHERE suspended_at IS NOT NULL;

-- Listing one achievement's awards in issue order (the assessor's "who passed this module" query): without it,
-- PostgreSQL with stale statistics fetched every row of the issuer and sorted them (1.2 s at a million), and
-- both databases walked all of an issuer's awards to find a rare achievement's.
CREATE INDEX credential_achievement_issued_idx ON credential (achievement_id, issued_at, credential_id);
