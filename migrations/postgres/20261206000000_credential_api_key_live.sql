-- A credential is stored only for an API key that is not revoked, checked in the statement that stores it.
-- Every use case authenticates its caller before it signs; `/credentials/issue` may do so from a second-old copy
-- of the caller's key kept in memory (src/service/signing_sources.rs), and this check is what makes a revocation
-- made meanwhile through another replica or the CLI take effect at once: the credential is not stored, and the
-- caller gets 401. The name is the constraint's (src/store.rs, `Constraint::RevokedApiKey`).
--
-- One check per statement, over the rows it inserted (a group commit stores up to 256 credentials in one
-- statement), rather than a function call per row. The API keys are read `FOR SHARE`: a revocation committed
-- meanwhile is waited for and seen, and one that comes later waits for this transaction, so a credential is
-- either stored before its key's revocation or not at all.
CREATE FUNCTION credential_api_key_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM (
            SELECT revoked_at FROM api_key
            WHERE api_key_id IN (SELECT api_key_id FROM inserted)
            FOR SHARE
        ) AS caller
        WHERE caller.revoked_at IS NOT NULL
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'credential_api_key_live',
            MESSAGE = 'credential_api_key_live: a credential cannot be stored for a revoked API key';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER credential_api_key_live AFTER INSERT ON credential
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION credential_api_key_live();
