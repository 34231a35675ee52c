//! What `/credentials/issue` reads before it signs (the caller's API key, the issuer its credential names, that
//! issuer's active key: [`SigningSource`]), kept in memory for up to [`TTL`].
//!
//! That read was a quarter of the CPU of each issue on SQLite (the query, and waking a connection's thread and
//! being woken by it: BENCHMARKS.md, "Issue 20, session 21"). Keeping it is safe because nothing the copy
//! could let through depends on it:
//! - **an API key revoked meanwhile** (through another replica, or the CLI): the credential is refused in the
//!   transaction that would store it (the `credential_api_key_live` trigger, [`Constraint::RevokedApiKey`]),
//!   the caller gets 401, and the copy is dropped;
//! - **a key rotated or an issuer changed elsewhere**: seen within [`TTL`]. Until then the credential is signed
//!   with the key that was active a moment ago, which stays published in the issuer's DID document (retired
//!   keys keep verifying what they signed), or carries the issuer's previous settings;
//! - **changes made through this process** clear the copies once written ([`SigningSources::clear`]); a read
//!   already under way may still keep what it read just before, for the rest of its [`TTL`].
//!
//! A copy is kept only after its token was accepted, so unknown tokens are never kept; a wrong secret for a kept
//! key is refused from the copy (it holds the secret's hash). For at most [`TTL`] after a revocation made
//! elsewhere, a request with the revoked key that is refused for another reason before its credential would be
//! stored (403 for another issuer's credential, 422 for an invalid one) gets that answer rather than 401.
//!
//! [`Constraint::RevokedApiKey`]: crate::store::Constraint::RevokedApiKey

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::api_key::ApiKeyId;
use crate::store::SigningSource;

/// How long a copy is used: the same second in which status changes made elsewhere reach verification.
pub(super) const TTL: Duration = Duration::from_secs(1);
/// Most copies kept (one per issuer and API key that issued within the last second); all are dropped when full.
const CAPACITY: usize = 1_024;

/// Copies by issuer DID and API key, each with when it was read.
type Copies = HashMap<(String, ApiKeyId), (Instant, Arc<SigningSource>)>;

/// The copies (see the module documentation).
#[derive(Debug, Default)]
pub(super) struct SigningSources {
    copies: Mutex<Copies>,
}

impl SigningSources {
    /// The copy for `did` and `api_key` read less than [`TTL`] ago.
    pub(super) fn get(&self, did: &str, api_key: ApiKeyId) -> Option<Arc<SigningSource>> {
        let copies = self.copies();
        let (read_at, source) = copies.get(&(did.to_owned(), api_key))?;
        (read_at.elapsed() < TTL).then(|| Arc::clone(source))
    }

    /// Keeps `source`, read at `read_at` for `did` and `api_key` (whose token was accepted).
    pub(super) fn keep(&self, did: &str, api_key: ApiKeyId, read_at: Instant, source: Arc<SigningSource>) {
        let mut copies = self.copies();
        if copies.len() >= CAPACITY {
            copies.clear();
        }
        copies.insert((did.to_owned(), api_key), (read_at, source));
    }

    /// Drops the copy for `did` and `api_key` (its key was found revoked).
    pub(super) fn forget(&self, did: &str, api_key: ApiKeyId) {
        self.copies().remove(&(did.to_owned(), api_key));
    }

    /// Drops every copy: an issuer, its keys or an API key changed through this process.
    pub(super) fn clear(&self) {
        self.copies().clear();
    }

    fn copies(&self) -> MutexGuard<'_, Copies> {
        // Inserting and removing whole entries cannot leave the map half-changed.
        self.copies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::ApiToken;

    fn source() -> Arc<SigningSource> {
        Arc::new(SigningSource { issuer: crate::domain::issuer::test_issuer(), active_key: None, api_key: None })
    }

    #[test]
    fn a_copy_is_used_for_a_second_and_can_be_dropped() {
        let sources = SigningSources::default();
        let (did, key, other) =
            ("did:web:certs.example.eu:issuers:ucs", ApiToken::generate().id(), ApiToken::generate().id());
        sources.keep(did, key, Instant::now(), source());
        assert!(sources.get(did, key).is_some());
        assert!(sources.get(did, other).is_none(), "another API key's");
        assert!(sources.get("did:web:elsewhere", key).is_none(), "another issuer's");
        sources.forget(did, key);
        assert!(sources.get(did, key).is_none());
        let old = Instant::now().checked_sub(TTL).unwrap();
        sources.keep(did, key, old, source());
        assert!(sources.get(did, key).is_none(), "read a second ago: read again");
        sources.keep(did, other, Instant::now(), source());
        sources.clear();
        assert!(sources.get(did, other).is_none());
    }
}
