-- Listings ordered by issue time: across issuers (admins), and by achievement, without sorting the table.
CREATE INDEX credential_issued_idx ON credential (issued_at, credential_id);
CREATE INDEX credential_achievement_issued_idx ON credential (achievement_id, issued_at, credential_id);
