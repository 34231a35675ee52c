-- Listings ordered by issue time: across issuers (admins), and by recipient, without sorting the table.
-- (Listings of one issuer use credential_issuer_issued_idx.) The recipient index replaces the one-column one,
-- so a lookup by e-mail, including the duplicate check of every award, finds its rows already in order.
CREATE INDEX credential_issued_idx ON credential (issued_at, credential_id);
DROP INDEX credential_recipient_idx;
CREATE INDEX credential_recipient_idx ON credential (recipient_email, issued_at, credential_id);
