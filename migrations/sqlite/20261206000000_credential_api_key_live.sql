-- A credential is stored only for an API key that is not revoked, checked in the transaction that stores it.
-- Every use case authenticates its caller before it signs; `/credentials/issue` may do so from a second-old copy
-- of the caller's key kept in memory (src/service/signing_sources.rs), and this check is what makes a revocation
-- made meanwhile through another replica or the CLI take effect at once: the credential is not stored, and the
-- caller gets 401. The name is the constraint's (src/store.rs, `Constraint::RevokedApiKey`).
CREATE TRIGGER credential_api_key_live BEFORE INSERT ON credential
WHEN NEW.api_key_id IS NOT NULL
    AND (SELECT revoked_at FROM api_key WHERE api_key_id = NEW.api_key_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'credential_api_key_live');
END;
