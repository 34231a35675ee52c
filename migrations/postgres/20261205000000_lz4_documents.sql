-- Signed credentials (2–4 KB of JSON each) and batch answers are compressed by PostgreSQL's TOAST as their rows
-- are written. Its default method, pglz, took 7 % of the database's CPU time in single awards (BENCHMARKS.md,
-- "Issue 20, session 17"); lz4 compresses several times faster to about the same size. Only where the server
-- was built with lz4 (Debian's and the official images are); elsewhere nothing changes. PostgreSQL only: SQLite
-- does not compress. Rows already written keep their compression, and both methods read back the same text.
-- The change is to the catalog only (a brief exclusive lock on each table). pg_dump now writes the columns'
-- method: restore such a dump on a server without lz4 with `pg_restore --no-toast-compression`.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE credential ALTER COLUMN document SET COMPRESSION lz4;
        ALTER TABLE award_batch ALTER COLUMN response SET COMPRESSION lz4;
    END IF;
END
$$;
