//! Use cases: what microcred does, tying domain rules, the key store and the database together.
//! HTTP handlers and CLI commands call these and only map their results.

use std::sync::Arc;

mod awards;
pub mod batch;
pub mod bulk;
mod catalogue;
pub mod clock;
pub mod deliveries;
pub mod downloads;
pub mod images;
mod issuance;
pub mod issuers;
pub mod learners;
pub mod lifecycle;
mod renewals;
mod signing_sources;
pub mod statistics;
mod status;
pub mod status_lists;
mod vc_api;
pub mod verification;
pub mod wallet;

pub use awards::Issued;
pub use status::{PublishedList, STATUS_TTL_MS};

use time::OffsetDateTime;
use url::Url;

use crate::certificate::{FontChain, Templates};
use crate::domain::api_key::{ApiKey, Role};
use crate::domain::audit::{AuditEntry, AuditEvent};
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::issuer::{Issuer, IssuerId, Slug};
use crate::domain::public_urls::PublicUrls;
use crate::domain::status::{StatusListId, StatusPurpose};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::fetch::GuardedClient;
use crate::keys::{IssuerSigningKey, KeyStore};
use crate::resolver::Resolver;
use crate::store::{CredentialFilter, Store};

/// Per issuer and purpose: a status list and the indexes this process may still hand out from it.
type StatusBudget = std::collections::HashMap<(IssuerId, StatusPurpose), status::StatusPool>;

/// The current time, truncated to microseconds so it survives a round trip through either database, with
/// a microsecond that never ends in 0.
///
/// SQLite keeps timestamps as RFC 3339 text, and sqlx writes the fraction without trailing zeros
/// (`…:22.5106Z` for 22.510600 s, `…:22Z` for a whole second). Text order is time order only when every
/// fraction has the same six digits, and `ORDER BY created_at` / `issued_at` compare text there: a
/// microsecond ending in 0 moves on by one, so every time microcred records sorts where it belongs.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    let micros = t.nanosecond() / 1_000;
    let micros = if micros.is_multiple_of(10) { micros + 1 } else { micros };
    t.replace_nanosecond(micros * 1_000).unwrap_or(t)
}

/// The application: one per process, shared by every request.
#[derive(Debug, Clone)]
pub struct Microcred {
    store: Arc<dyn Store>,
    keys: KeyStore,
    /// The addresses this deployment publishes.
    urls: PublicUrls,
    resolver: Resolver,
    /// Fetches other hosts' DID documents and status lists; `None` unless `--did-web-resolution true`.
    remote: Option<GuardedClient>,
    /// Private keys already read from their files, by key id (rotation makes a new id).
    signing_keys: Arc<std::sync::Mutex<std::collections::HashMap<String, IssuerSigningKey>>>,
    /// Per issuer and purpose: the current list and the free indexes this process claimed from it and may
    /// hand out (positions of the list's shared count, mapped through the list's keyed order).
    status_budget: Arc<std::sync::Mutex<StatusBudget>>,
    /// Held by the one award that refills the budget, so that concurrent awards wait for it instead of each
    /// claiming a block of their own (a row-locked write to one shared row, one commit each).
    status_refill: Arc<tokio::sync::Mutex<()>>,
    /// What `/credentials/issue` reads before signing, kept for a second (see [`signing_sources`]).
    signing_sources: Arc<signing_sources::SigningSources>,
    /// Signed status lists by id, each with the version it was made from.
    status_cache: Arc<std::sync::Mutex<std::collections::HashMap<StatusListId, Arc<PublishedList>>>>,
    /// Certificate templates: the built-in ones and the operator's.
    templates: Arc<Templates>,
    /// Certificate fonts: what can be printed, and with what.
    fonts: Arc<FontChain>,
    /// Verdicts of issued credentials, and the status-list versions they depend on.
    verdicts: Arc<verification::Verdicts>,
    /// When to refresh the database's planner statistics next (see [`statistics`]).
    statistics: Arc<statistics::Growth>,
    /// How this process sends e-mail (`None`: it sends none).
    mail: Option<Arc<deliveries::MailSetup>>,
    /// Wakes the delivery worker when an award queues a message.
    delivery_wake: Arc<tokio::sync::Notify>,
    /// The deployment's secret salt of learners' look-up hashes, read once (see [`learners`]).
    salt: Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// How long a wallet offer works if unused (at most [`wallet::MAX_OFFER_TTL`]).
    wallet_offer_ttl: std::time::Duration,
    /// The time the lifecycle (expiry, deadlines, reminders) and verdicts run by.
    clock: Arc<dyn clock::Clock>,
}

impl Microcred {
    /// Assembles the application from its parts (resolving other hosts' did:web switched off).
    pub fn new(store: Arc<dyn Store>, keys: KeyStore, public_url: Url) -> Self {
        let resolver = Resolver::new(Arc::clone(&store), None);
        Self {
            store,
            keys,
            urls: PublicUrls::new(public_url),
            resolver,
            remote: None,
            signing_keys: Arc::default(),
            status_budget: Arc::default(),
            status_refill: Arc::default(),
            status_cache: Arc::default(),
            signing_sources: Arc::default(),
            templates: Arc::default(),
            fonts: Arc::default(),
            verdicts: Arc::default(),
            statistics: Arc::default(),
            mail: None,
            delivery_wake: Arc::default(),
            salt: Arc::default(),
            wallet_offer_ttl: wallet::MAX_OFFER_TTL,
            clock: Arc::new(clock::SystemClock),
        }
    }

    /// Runs the lifecycle and verdicts by `clock` (the system clock by default): tests move time with a
    /// [`clock::ManualClock`].
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn clock::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current time by this application's clock.
    pub fn clock_now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Uses these certificate templates (the built-in ones only, by default).
    #[must_use]
    pub fn with_templates(mut self, templates: Templates) -> Self {
        self.templates = Arc::new(templates);
        self
    }

    /// Prints certificates with these fonts (only the bundled Noto Sans, by default); awards whose text they
    /// cannot print are refused.
    #[must_use]
    pub fn with_fonts(mut self, fonts: FontChain) -> Self {
        self.fonts = Arc::new(fonts);
        self
    }

    /// Wallet offers work for `ttl` if unused (capped at [`wallet::MAX_OFFER_TTL`], 10 minutes).
    #[must_use]
    pub fn with_wallet_offer_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.wallet_offer_ttl = ttl.min(wallet::MAX_OFFER_TTL);
        self
    }

    /// Keeps verdicts and their rendered pages of at most `bytes` (estimated) in memory.
    #[must_use]
    pub fn with_verdict_cache_bytes(mut self, bytes: u64) -> Self {
        self.verdicts = Arc::new(verification::Verdicts::with_budget(bytes));
        self
    }

    /// Fetches other hosts' `did:web` documents and status lists through `client` (`None`: never).
    #[must_use]
    pub fn with_remote_fetching(mut self, client: Option<GuardedClient>) -> Self {
        self.resolver = Resolver::new(Arc::clone(&self.store), client.clone());
        self.remote = client;
        self
    }

    /// A shared handle on the database (to close it after the server stops).
    pub fn shared_store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// The database (for health checks and metrics; use cases go through `Microcred`'s methods).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The public origin.
    pub fn public_url(&self) -> &Url {
        self.urls.base()
    }

    /// The addresses this deployment publishes (credential pages, downloads, status lists…).
    pub fn urls(&self) -> &PublicUrls {
        &self.urls
    }
}

impl Microcred {
    /// One issued credential, for its issuer's assessors and admins.
    pub async fn issued_credential_for(&self, caller: &ApiKey, id: CredentialId) -> Result<IssuedCredential> {
        let credential = self.issued_credential(id).await?;
        Self::require_issuer(caller, credential.issuer_id)?;
        Ok(credential)
    }

    /// One issued credential, by anyone who knows its unguessable id.
    pub async fn issued_credential(&self, id: CredentialId) -> Result<IssuedCredential> {
        self.store.credential(id).await?.ok_or_else(|| Error::NotFound { what: "credential", id: id.to_string() })
    }

    /// Credentials a caller may list: an assessor's issuer's, or any for an admin.
    pub async fn list_credentials(
        &self,
        caller: &ApiKey,
        mut filter: CredentialFilter,
    ) -> Result<Vec<IssuedCredential>> {
        if caller.role != Role::Admin {
            filter.issuer_id = Some(caller.issuer_id);
        }
        Ok(self.store.list_credentials(&filter).await?)
    }
}

impl Microcred {
    /// The issuer an API caller acts for: an assessor's own (naming another is refused), or for an admin
    /// the one named (required, since an admin acts for every issuer).
    async fn acting_issuer(&self, caller: &ApiKey, named: Option<&str>) -> Result<Issuer> {
        let named = match named {
            Some(slug) => Some(slug.parse::<Slug>().map_err(|e| ValidationErrors::single("issuer", e.to_string()))?),
            None => None,
        };
        match (caller.role, named) {
            (Role::Admin, Some(slug)) => self.issuer(&slug).await,
            (Role::Admin, None) => {
                Err(ValidationErrors::single("issuer", "is required for an admin key: the slug of the awarding issuer")
                    .into())
            }
            (Role::Assessor, named) => {
                let own = self
                    .store
                    .issuer_by_id(caller.issuer_id)
                    .await?
                    .ok_or_else(|| Error::Forbidden("this key's issuer no longer exists".into()))?;
                if named.is_some_and(|slug| slug != own.slug) {
                    return Err(Error::Forbidden("an assessor key acts only for its own issuer".into()));
                }
                Ok(own)
            }
        }
    }

    /// Refuses access to another issuer's data to an assessor.
    fn require_issuer(caller: &ApiKey, issuer: IssuerId) -> Result<()> {
        if caller.role == Role::Admin || caller.issuer_id == issuer {
            Ok(())
        } else {
            Err(Error::Forbidden("this belongs to another issuer".into()))
        }
    }
}

/// An audit entry for now; `by` is `None` for the operator's command line.
fn audit(
    by: Option<&ApiKey>,
    issuer: Option<IssuerId>,
    action: &'static str,
    subject: &str,
    reason: Option<String>,
) -> AuditEntry {
    AuditEntry {
        at: now(),
        api_key_id: by.map(|k| k.id),
        issuer_id: issuer,
        action,
        subject: subject.to_owned(),
        reason,
    }
}

impl Microcred {
    /// The audit log (admins only), oldest first, after sequence number `after`.
    pub async fn audit_events(&self, caller: &ApiKey, after: Option<i64>, limit: u32) -> Result<Vec<AuditEvent>> {
        require_admin(caller)?;
        Ok(self.store.audit_events(after, limit).await?)
    }
}

/// Only admins manage issuers, keys and API keys.
pub fn require_admin(caller: &ApiKey) -> Result<()> {
    if caller.role == Role::Admin { Ok(()) } else { Err(Error::Forbidden("this needs an admin API key".into())) }
}

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;

    /// Times recorded a moment apart sort as text (how SQLite compares them) as they sort in time.
    #[test]
    fn recorded_times_sort_as_text_in_time_order() {
        let mut times: Vec<time::OffsetDateTime> = (0..2_000).map(|_| super::now()).collect();
        times.sort();
        let texts: Vec<String> = times.iter().map(|t| t.format(&Rfc3339).unwrap()).collect();
        assert!(texts.iter().all(|t| t.len() == "2026-11-30T01:30:22.510616Z".len()), "six digits: {texts:?}");
        assert!(texts.windows(2).all(|w| w[0] <= w[1]));
        // What the old truncation gave: 22.510600 is written with four digits and sorts after 22.510616.
        let whole = time::macros::datetime!(2026-11-30 01:30:22.5106 UTC).format(&Rfc3339).unwrap();
        let later = time::macros::datetime!(2026-11-30 01:30:22.510616 UTC).format(&Rfc3339).unwrap();
        assert!(whole > later, "{whole} {later}");
    }
}
