-- Planner statistics for SQLite, written by hand as SQLite's documentation suggests for applications whose
-- queries must keep one plan ("Manual Control Of Query Plans Using SQLITE_STAT Tables").
--
-- SQLite keeps no statistics unless ANALYZE runs, and without them it guesses that any equality matches ten
-- rows. The duplicate check of every award (`achievement_id = ? AND recipient_email IN (…) ORDER BY
-- issued_at`) then chose the index on (achievement_id, issued_at), which also gives the order, and walked every
-- credential of the achievement: single awards fell from about 1,700/s to under 300/s by 4,000 credentials of
-- one achievement. ANALYZE is no cure on a connection pool: the statistics are read when a connection opens,
-- so only the connection that ran it would plan with them.
--
-- The figures describe the shape of the data, not its size: a million credentials, many per achievement and
-- issuer, one or two per learner, one per status-list slot; the partial indexes hold few rows. Each row is
-- "rows [average rows per distinct value of the first column, of the first two, …]".
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'credential';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('credential', 'sqlite_autoindex_credential_1', '1000000 1'),
    ('credential', 'sqlite_autoindex_credential_2', '1000000 100000 1'),
    ('credential', 'credential_achievement_issued_idx', '1000000 10000 1 1'),
    ('credential', 'credential_issuer_issued_idx', '1000000 100000 1 1'),
    ('credential', 'credential_issued_idx', '1000000 1 1'),
    ('credential', 'credential_recipient_idx', '1000000 2 1 1'),
    ('credential', 'credential_recipient_lookup_idx', '1000000 2'),
    ('credential', 'credential_one_award_per_recipient', '1000000 10000 1'),
    ('credential', 'credential_status_index_key', '1000000 65536 1'),
    ('credential', 'credential_suspension_index_key', '1000000 65536 1'),
    ('credential', 'credential_external_id_idx', '10000 1'),
    ('credential', 'credential_expiry_idx', '100000 1'),
    ('credential', 'credential_revoked_idx', '10000 2 1 1'),
    ('credential', 'credential_suspended_idx', '1000 2 1 1'),
    ('credential', 'credential_suspension_deadline_idx', '100 1'),
    ('credential', 'credential_replaced_idx', '1000 1'),
    ('credential', 'credential_superseded_idx', '1000 1'),
    ('credential', 'credential_missing_expiry_idx', '10 1'),
    ('credential', 'credential_missing_lookup_idx', '10 1');
-- Read the figures on this connection too (the pool keeps it); connections opened later read them when they open.
ANALYZE sqlite_schema;
