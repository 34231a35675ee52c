//! Use cases: what microcred does, tying domain rules, the key store and the database together.
//! HTTP handlers and CLI commands call these and only map their results.

use std::sync::Arc;

pub mod batch;
pub mod downloads;
pub mod statistics;
pub mod status_lists;
pub mod verification;

use time::OffsetDateTime;
use tracing::info;
use url::Url;
use uuid::Uuid;

use crate::certificate::{FontChain, Templates};
use crate::domain::achievement::{Achievement, AchievementId, AchievementInput};
use crate::domain::api_key::{ApiKey, ApiKeyId, ApiToken, Role};
use crate::domain::audit::{AuditEntry, AuditEvent};
use crate::domain::award::{AwardInput, CredentialId, IssuedCredential};
use crate::domain::did::{DidDocument, did_key, did_web};
use crate::domain::issuer::{CountryCode, DidMethod, Issuer, IssuerId, NewIssuer, Slug};
use crate::domain::status::{LIST_SIZE, StatusList, StatusListId, StatusPurpose, StatusSlot};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, OnConstraint as _, Result};
use crate::fetch::GuardedClient;
use crate::keys::{IssuerSigningKey, KeyStore};
use crate::resolver::Resolver;
use crate::store::{CredentialFilter, IssuerKey, Store, StoreError};
use crate::vc::canon::CanonError;
use crate::vc::credential::{AwardFacts, OpenBadgeCredential};
use crate::vc::model;
use crate::vc::proof::{self, Cryptosuite, ProofError, ProofOptions};
use crate::vc::verify::{VerificationReport, Verifier, VerifyError};

/// Per issuer and purpose: a status list and the indexes this process may still hand out from it.
type StatusBudget = std::collections::HashMap<(IssuerId, StatusPurpose), (StatusList, u32)>;

/// The current time, truncated to microseconds so it survives a round trip through either database.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}

/// The application: one per process, shared by every request.
#[derive(Debug, Clone)]
pub struct Microcred {
    store: Arc<dyn Store>,
    keys: KeyStore,
    public_url: Url,
    resolver: Resolver,
    /// Fetches other hosts' DID documents and status lists; `None` unless `--did-web-resolution true`.
    remote: Option<GuardedClient>,
    /// Private keys already read from their files, by key id (rotation makes a new id).
    signing_keys: Arc<std::sync::Mutex<std::collections::HashMap<String, IssuerSigningKey>>>,
    /// Per issuer and purpose: the current list and how many more indexes this process may hand out from
    /// it before counting again (the shared count only decides when to open a new list).
    status_budget: Arc<std::sync::Mutex<StatusBudget>>,
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
}

impl Microcred {
    /// Assembles the application from its parts (resolving other hosts' did:web switched off).
    pub fn new(store: Arc<dyn Store>, keys: KeyStore, public_url: Url) -> Self {
        let resolver = Resolver::new(Arc::clone(&store), None);
        Self {
            store,
            keys,
            public_url,
            resolver,
            remote: None,
            signing_keys: Arc::default(),
            status_budget: Arc::default(),
            status_cache: Arc::default(),
            templates: Arc::default(),
            fonts: Arc::default(),
            verdicts: Arc::default(),
            statistics: Arc::default(),
        }
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

    /// The database.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The public origin.
    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// Creates an issuer and its first key. The key file is written first and removed again if the
    /// database refuses the issuer, so neither a key without issuer nor an issuer without key remains.
    pub async fn create_issuer(&self, new: NewIssuer) -> Result<(Issuer, IssuerKey)> {
        if self.store.issuer_by_slug(&new.slug).await?.is_some() {
            return Err(slug_taken(&new.slug));
        }
        let key = self.keys.generate(&new.slug)?;
        let did = match new.did_method {
            DidMethod::Web => did_web(&self.public_url, &new.slug),
            DidMethod::Key => did_key(&key.public_key()),
        };
        let created_at = now();
        let issuer = Issuer {
            id: IssuerId(Uuid::new_v4()),
            slug: new.slug,
            did,
            did_method: new.did_method,
            name: new.name,
            url: new.url,
            email: new.email,
            country: new.country,
            description: new.description,
            logo_url: new.logo_url,
            suspension_enabled: new.suspension_enabled,
            created_at,
        };
        let issuer_key = IssuerKey {
            key_id: key.key_id(),
            issuer_id: issuer.id,
            public_key: key.public_key(),
            created_at,
            retired_at: None,
        };
        let stored = self.store.insert_issuer(&issuer, &issuer_key).await;
        if stored.is_err() {
            self.keys.discard(&issuer.slug, &issuer_key.key_id);
        }
        stored.on_constraint("issuer_slug_key", || slug_taken(&issuer.slug)).map(|()| {
            info!(issuer.slug = %issuer.slug, issuer.did = %issuer.did, "created issuer {}", issuer.slug);
            (issuer, issuer_key)
        })
    }

    /// On first start (no issuer at all), creates the default issuer so `serve` alone gives a working
    /// service. Returns it if it was created. Another replica creating it at the same time is not an error.
    pub async fn ensure_default_issuer(
        &self,
        name: &str,
        slug: &Slug,
        country: Option<CountryCode>,
    ) -> Result<Option<Issuer>> {
        if !self.store.issuers().await?.is_empty() {
            return Ok(None);
        }
        let new = NewIssuer {
            slug: slug.clone(),
            name: name.to_owned(),
            url: Some(self.public_url.clone()),
            email: None,
            country,
            description: None,
            logo_url: None,
            did_method: DidMethod::Web,
            suspension_enabled: false,
        };
        match self.create_issuer(new).await {
            Ok((issuer, _)) => Ok(Some(issuer)),
            Err(Error::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every issuer.
    pub async fn issuers(&self) -> Result<Vec<Issuer>> {
        Ok(self.store.issuers().await?)
    }

    /// The issuers `caller` may see: all for an admin, its own for an assessor.
    pub async fn issuers_visible_to(&self, caller: &ApiKey) -> Result<Vec<Issuer>> {
        let mut issuers = self.store.issuers().await?;
        if caller.role != Role::Admin {
            issuers.retain(|i| i.id == caller.issuer_id);
        }
        Ok(issuers)
    }

    /// Creates an issuer on behalf of an API caller, who must be an admin.
    pub async fn create_issuer_as(&self, caller: &ApiKey, new: NewIssuer) -> Result<Issuer> {
        require_admin(caller)?;
        Ok(self.create_issuer(new).await?.0)
    }

    /// The issuer with this slug.
    pub async fn issuer(&self, slug: &Slug) -> Result<Issuer> {
        self.store.issuer_by_slug(slug).await?.ok_or_else(|| Error::NotFound { what: "issuer", id: slug.to_string() })
    }

    /// An issuer and all its keys, oldest first.
    pub async fn issuer_keys(&self, slug: &Slug) -> Result<(Issuer, Vec<IssuerKey>)> {
        let issuer = self.issuer(slug).await?;
        let keys = self.store.issuer_keys(issuer.id).await?;
        Ok((issuer, keys))
    }

    /// Makes a new active key for the issuer and retires the old one, which stays published.
    pub async fn rotate_key(&self, slug: &Slug) -> Result<IssuerKey> {
        let issuer = self.issuer(slug).await?;
        if issuer.did_method == DidMethod::Key {
            return Err(Error::NotPossible(format!(
                "issuer {slug} is identified by did:key, which is its one key: it cannot rotate (create a new issuer instead)"
            )));
        }
        let key = self.keys.generate(slug)?;
        let new_key = IssuerKey {
            key_id: key.key_id(),
            issuer_id: issuer.id,
            public_key: key.public_key(),
            created_at: now(),
            retired_at: None,
        };
        if let Err(e) =
            self.store.rotate_key(&new_key, &audit(None, Some(issuer.id), "key.rotate", &new_key.key_id, None)).await
        {
            self.keys.discard(slug, &new_key.key_id);
            return Err(e).on_constraint("issuer_key_one_active_key", || {
                Error::Conflict(format!("another rotation of issuer {slug} happened at the same time; try again"))
            });
        }
        info!(issuer.slug = %slug, key.id = %new_key.key_id, "rotated signing key of issuer {slug}");
        Ok(new_key)
    }

    /// The issuer's active key and the options of an `assertionMethod` proof made with it now (`created`).
    async fn assertion_signer(
        &self,
        issuer: &Issuer,
        cryptosuite: Cryptosuite,
        created: OffsetDateTime,
    ) -> Result<(IssuerSigningKey, ProofOptions)> {
        let key = self.signing_key(issuer).await?;
        let options = ProofOptions {
            cryptosuite,
            verification_method: format!("{}#{}", issuer.did, key.key_id()),
            proof_purpose: "assertionMethod".into(),
            created,
            id: None,
            previous_proof: None,
        };
        Ok((key, options))
    }

    /// The issuer's active signing key, loaded from its file.
    pub async fn signing_key(&self, issuer: &Issuer) -> Result<IssuerSigningKey> {
        let keys = self.store.issuer_keys(issuer.id).await?;
        let active = keys.iter().find(|k| k.retired_at.is_none()).ok_or_else(|| {
            Error::NotPossible(format!(
                "issuer {} has no active key (run: microcred keys rotate --issuer {})",
                issuer.slug, issuer.slug
            ))
        })?;
        if let Some(key) = self.signing_keys.lock().ok().and_then(|keys| keys.get(&active.key_id).cloned()) {
            return Ok(key);
        }
        // Read once per key: the file check (permissions, that it is the key it claims) runs at the first use
        // and at start-up.
        let key = self.keys.load(&issuer.slug, &active.key_id)?;
        if let Ok(mut keys) = self.signing_keys.lock() {
            keys.insert(active.key_id.clone(), key.clone());
        }
        Ok(key)
    }

    /// Start-up check: no key file is readable by others, and every issuer's active key is present and
    /// matches the database, so a misconfigured replica fails at start rather than at the first award.
    pub async fn check_keys(&self) -> Result<()> {
        self.keys.check_permissions()?;
        for issuer in self.store.issuers().await? {
            self.signing_key(&issuer).await?;
        }
        Ok(())
    }

    /// The DID document of a `did:web` issuer, listing every key (retired ones too).
    pub async fn did_document(&self, slug: &Slug) -> Result<DidDocument> {
        let (issuer, keys) = self.issuer_keys(slug).await?;
        if issuer.did_method != DidMethod::Web {
            return Err(Error::NotFound { what: "DID document of issuer", id: slug.to_string() });
        }
        Ok(DidDocument::new(&issuer.did, keys.into_iter().map(|k| k.public_key)))
    }

    /// Creates an API key for an issuer; the token is returned once and never stored.
    pub async fn create_api_key(&self, slug: &Slug, role: Role, name: &str) -> Result<(ApiKey, ApiToken)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(crate::domain::validation::ValidationErrors::single("name", "is required").into());
        }
        let issuer = self.issuer(slug).await?;
        let token = ApiToken::generate();
        let key = ApiKey {
            id: token.id(),
            issuer_id: issuer.id,
            role,
            name: name.to_owned(),
            created_at: now(),
            revoked_at: None,
        };
        let entry = audit(
            None,
            Some(issuer.id),
            "api_key.create",
            &key.id.to_string(),
            Some(format!("{} ({})", key.name, role.as_str())),
        );
        self.store.insert_api_key(&key, &token.hash(), &entry).await?;
        info!(api_key.id = %key.id, issuer.slug = %slug, role = key.role.as_str(), "created API key {}", key.id);
        Ok((key, token))
    }

    /// Every API key (without secrets).
    pub async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.store.api_keys().await?)
    }

    /// Revokes an API key; it stops working at once.
    pub async fn revoke_api_key(&self, id: ApiKeyId) -> Result<()> {
        if self.store.revoke_api_key(id, &audit(None, None, "api_key.revoke", &id.to_string(), None)).await? {
            info!(api_key.id = %id, "revoked API key {id}");
            Ok(())
        } else {
            Err(Error::NotFound { what: "API key", id: id.to_string() })
        }
    }

    /// Checks a bearer token: it must be well formed, known, match in constant time, and not be revoked.
    /// Every failure gives the same answer, so a caller learns nothing about which part was wrong.
    pub async fn authenticate(&self, token: &str) -> Result<ApiKey> {
        const REFUSED: Error = Error::Unauthorized("the API token is invalid or revoked");
        let token = ApiToken::parse(token).map_err(|_| REFUSED)?;
        let Some((key, hash)) = self.store.api_key(token.id()).await? else { return Err(REFUSED) };
        if !hash.matches(&token.hash()) || key.revoked_at.is_some() {
            return Err(REFUSED);
        }
        Ok(key)
    }
}

impl Microcred {
    /// Signs an unsigned credential with the issuer's active key. The credential must follow the VC data
    /// model, name this issuer's DID as `issuer`, carry no proof, and use only defined terms (anything a
    /// context does not define would not be signed, so it is refused).
    pub async fn sign_credential(
        &self,
        slug: &Slug,
        credential: &serde_json::Value,
        suite: Cryptosuite,
    ) -> Result<serde_json::Value> {
        let issuer = self.issuer(slug).await?;
        let mut errors = ValidationErrors::default();
        for violation in model::credential_violations(credential) {
            errors.add("credential", violation);
        }
        let named = match credential.get("issuer") {
            Some(serde_json::Value::String(id)) => Some(id.as_str()),
            Some(serde_json::Value::Object(map)) => map.get("id").and_then(|v| v.as_str()),
            _ => None,
        };
        if named.is_some_and(|id| id != issuer.did) {
            errors.add("issuer", format!("must be the issuer's DID {}", issuer.did));
        }
        if credential.get("proof").is_some() {
            errors.add("proof", "the credential is already signed");
        }
        errors.finish(())?;
        let (key, options) = self.assertion_signer(&issuer, suite, now()).await?;
        proof::secure(credential, &options, &key).map_err(|e| match e {
            ProofError::Canon(CanonError::UndefinedTerms(terms)) => ValidationErrors::single(
                "credential",
                format!(
                    "terms no context defines would not be signed: {}",
                    terms.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .into(),
            other => ValidationErrors::single("credential", other.to_string()).into(),
        })
    }

    /// Signs a credential a VC-API client built, for the issuer its `issuer` names (one of ours, which the
    /// caller must act for). A VCDM 1.1 credential gets the Data Integrity context its proof terms need.
    pub async fn issue_vc_api(
        &self,
        caller: &ApiKey,
        mut credential: serde_json::Value,
        suite: Cryptosuite,
    ) -> Result<serde_json::Value> {
        let named = match credential.get("issuer") {
            Some(serde_json::Value::String(id)) => Some(id.clone()),
            Some(serde_json::Value::Object(map)) => map.get("id").and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        };
        let Some(did) = named else {
            return Err(ValidationErrors::single(
                "credential.issuer",
                "is required: the DID of one of this service's issuers",
            )
            .into());
        };
        let issuer = self.store.issuer_by_did(&did).await?.ok_or_else(|| {
            ValidationErrors::single("credential.issuer", format!("{did} is not an issuer of this service"))
        })?;
        Self::require_issuer(caller, issuer.id)?;
        // Its certificate prints the learner's name: refuse one that would misprint, as awards do.
        if let Some(name) = crate::vc::credential::learner_name_of(&credential)
            && let Err(message) = crate::domain::award::check_printable(self.fonts.as_ref(), name)
        {
            return Err(ValidationErrors::single("credential.credentialSubject.name", message).into());
        }
        if model::version(&credential) == Some(model::Version::V1)
            && let Some(serde_json::Value::Array(contexts)) = credential.get_mut("@context")
            && !contexts.iter().any(|c| c.as_str() == Some(crate::vc::contexts::DATA_INTEGRITY_V2))
        {
            contexts.push(crate::vc::contexts::DATA_INTEGRITY_V2.into());
        }
        // A VCDM 2.0 credential without a status of its own gets the issuer's revocation (and, where enabled,
        // suspension) entry, like an award; VCDM 1.1 has no term for a BitstringStatusListEntry.
        let add_status =
            credential.get("credentialStatus").is_none() && model::version(&credential) == Some(model::Version::V2);
        let external_id = credential.get("id").and_then(|v| v.as_str()).map(str::to_owned);
        for _attempt in 0..3 {
            let id = CredentialId(Uuid::new_v4());
            let mut document = credential.clone();
            let (revocation, suspension) = if add_status {
                let revocation = self.allocate_status(&issuer, StatusPurpose::Revocation).await?;
                let suspension = match issuer.suspension_enabled {
                    true => Some(self.allocate_status(&issuer, StatusPurpose::Suspension).await?),
                    false => None,
                };
                if let Some(map) = document.as_object_mut() {
                    map.insert("credentialStatus".into(), self.status_entries(revocation, suspension));
                }
                (Some(revocation), suspension)
            } else {
                (None, None)
            };
            let signed = self.sign_credential(&issuer.slug, &document, suite).await?;
            let issued_at = now();
            let row = IssuedCredential {
                id,
                issuer_id: issuer.id,
                achievement_id: None,
                recipient_name: None,
                recipient_email: None,
                external_id: external_id.clone(),
                document: serde_json::value::to_raw_value(&signed)
                    .map_err(|e| ValidationErrors::single("credential", e.to_string()))?,
                issued_at,
                valid_until: signed
                    .get("validUntil")
                    .or_else(|| signed.get("expirationDate"))
                    .and_then(|v| v.as_str())
                    .and_then(model::parse_date_time_stamp),
                language: None,
                allow_duplicate: false,
                idempotency_key: None,
                request_hash: None,
                api_key_id: Some(caller.id),
                status: revocation,
                suspension,
                revoked_at: None,
                revocation_reason: None,
                suspended_at: None,
                suspension_reason: None,
            };
            let subject = external_id.clone().unwrap_or_else(|| id.to_string());
            match self
                .store
                .insert_credential(&row, &audit(Some(caller), Some(issuer.id), "credential.issue", &subject, None))
                .await
            {
                Ok(()) => {
                    metrics::counter!("microcred_credentials_issued_total", "path" => "vc-api").increment(1);
                    self.note_inserted(1);
                    return Ok(signed);
                }
                Err(StoreError::Conflict { constraint })
                    if constraint.starts_with("credential_status_index")
                        || constraint.starts_with("credential_suspension_index") => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict("status-list indexes were taken concurrently three times; retry the request".into()))
    }

    /// The credential a VC-API caller names in `/credentials/status`: by its public URL (awards) or by the
    /// `id` it was issued with through `/credentials/issue` (the newest, if that id was used more than once).
    pub async fn credential_for_status(&self, caller: &ApiKey, credential_id: &str) -> Result<CredentialId> {
        let own = credential_id
            .strip_prefix(self.public_url.as_str())
            .and_then(|rest| rest.strip_prefix("credentials/"))
            .and_then(|rest| Uuid::try_parse(rest).ok());
        if let Some(uuid) = own {
            return Ok(CredentialId(uuid));
        }
        let scope = (caller.role != Role::Admin).then_some(caller.issuer_id);
        self.store
            .credential_by_external_id(credential_id, scope)
            .await?
            .ok_or_else(|| Error::NotFound { what: "credential", id: credential_id.to_owned() })
    }

    /// Verifies a verifiable presentation: its data model, its proof (purpose `authentication`, with the
    /// `challenge` and `domain` the verifier asked for; an unsigned presentation is accepted only when no
    /// challenge is asked), and every credential in it. Returns the problems found (none: verified).
    pub async fn verify_presentation(
        &self,
        presentation: &serde_json::Value,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Vec<String>, VerifyError> {
        use serde_json::Value;
        let Some(vp) = presentation.as_object() else { return Err(VerifyError::NotAnObject) };
        let mut problems = Vec::new();
        let contexts: Vec<&Value> = match vp.get("@context") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => vec![],
        };
        match contexts.first().and_then(|c| c.as_str()) {
            Some(crate::vc::contexts::CREDENTIALS_V2 | crate::vc::contexts::CREDENTIALS_V1) => {}
            _ => problems.push(format!("the first @context must be {}", crate::vc::contexts::CREDENTIALS_V2)),
        }
        if contexts.iter().any(|c| !(c.is_object() || c.as_str().is_some_and(model::is_url))) {
            problems.push("every @context item must be a URL or a context object".into());
        }
        let types: Vec<&str> = match vp.get("type") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(t)) => vec![t.as_str()],
            _ => vec![],
        };
        if !types.contains(&"VerifiablePresentation") {
            problems.push("type must include VerifiablePresentation".into());
        }
        let credentials: Vec<&Value> = match vp.get("verifiableCredential") {
            None => vec![],
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
        };
        for (i, credential) in credentials.iter().enumerate() {
            if !credential.is_object() {
                problems.push(format!("verifiableCredential[{i}] must be a credential object"));
                continue;
            }
            let report = self.verify(credential).await?;
            if !report.verified {
                problems.push(format!("verifiableCredential[{i}] does not verify ({:?})", report.outcome));
            }
        }
        let proofs: Vec<&Value> = match vp.get("proof") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
        };
        if proofs.is_empty() && challenge.is_some() {
            problems.push("a challenge was given, so the presentation must be signed".into());
        }
        let mut unsecured = presentation.clone();
        if let Value::Object(map) = &mut unsecured {
            map.remove("proof");
        }
        for (i, proof) in proofs.iter().enumerate() {
            let Some(proof) = proof.as_object() else {
                problems.push(format!("proof[{i}] must be an object"));
                continue;
            };
            let field = |name: &str| proof.get(name).and_then(Value::as_str);
            if field("proofPurpose") != Some("authentication") {
                problems.push(format!("proof[{i}].proofPurpose must be authentication"));
            }
            if let Some(expected) = challenge
                && field("challenge") != Some(expected)
            {
                problems.push(format!("proof[{i}].challenge does not match"));
            }
            if let Some(expected) = domain {
                let matches = match proof.get("domain") {
                    Some(Value::String(d)) => d == expected,
                    Some(Value::Array(ds)) => ds.iter().any(|d| d.as_str() == Some(expected)),
                    _ => false,
                };
                if !matches {
                    problems.push(format!("proof[{i}].domain does not match"));
                }
            }
            let Some(method) = field("verificationMethod") else {
                problems.push(format!("proof[{i}] has no verificationMethod"));
                continue;
            };
            let key = crate::vc::verify::KeyResolver::resolve(&self.resolver, method).await?;
            if !key.purposes.iter().any(|p| p == "authentication") {
                problems.push(format!("key {method} is not listed under authentication"));
            }
            match proof::verify_signature(&unsecured, proof, &key.public_key) {
                Ok(true) => {}
                Ok(false) => problems.push(format!("proof[{i}]: the signature does not match the presentation")),
                Err(e) => problems.push(format!("proof[{i}]: {e}")),
            }
        }
        Ok(problems)
    }

    /// Verifies any credential (ours or another issuer's) and reports every check.
    pub async fn verify(&self, credential: &serde_json::Value) -> Result<VerificationReport, VerifyError> {
        let now = OffsetDateTime::now_utc();
        let status = status_lists::StatusLists { app: self, now };
        let verifier = Verifier { keys: &self.resolver, status: &status, now };
        verifier.verify(credential).await
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

    /// Adds a module to an issuer's catalogue.
    pub async fn create_achievement(&self, caller: &ApiKey, input: AchievementInput) -> Result<Achievement> {
        let issuer = self.acting_issuer(caller, input.issuer.as_deref()).await?;
        let spec = input.validate(&issuer)?;
        self.check_template(&spec)?;
        let at = now();
        let achievement = Achievement {
            id: AchievementId(Uuid::new_v4()),
            issuer_id: issuer.id,
            spec,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_achievement(&achievement).await?;
        info!(achievement.id = %achievement.id, issuer.slug = %issuer.slug, "created achievement {}", achievement.id);
        Ok(achievement)
    }

    /// The catalogue a caller may see: its issuer's, or for an admin the named issuer's (all if none).
    pub async fn achievements_for(&self, caller: &ApiKey, issuer: Option<&str>) -> Result<Vec<Achievement>> {
        let issuers = match (caller.role, issuer) {
            (Role::Admin, None) => self.store.issuers().await?,
            _ => vec![self.acting_issuer(caller, issuer).await?],
        };
        let mut all = Vec::new();
        for issuer in issuers {
            all.extend(self.store.achievements(issuer.id).await?);
        }
        Ok(all)
    }

    /// One achievement, by anyone (public catalogue page) — with its issuer.
    pub async fn achievement(&self, id: AchievementId) -> Result<(Achievement, Issuer)> {
        let not_found = || Error::NotFound { what: "achievement", id: id.to_string() };
        let achievement = self.store.achievement(id).await?.ok_or_else(not_found)?;
        let issuer = self.store.issuer_by_id(achievement.issuer_id).await?.ok_or_else(not_found)?;
        Ok((achievement, issuer))
    }

    /// One achievement of the caller's issuer.
    pub async fn achievement_for(&self, caller: &ApiKey, id: AchievementId) -> Result<Achievement> {
        let (achievement, _) = self.achievement(id).await?;
        Self::require_issuer(caller, achievement.issuer_id)?;
        Ok(achievement)
    }

    /// Changes an achievement with a JSON merge patch (RFC 7396) over its current content, validated as a
    /// whole again. Credentials already issued keep what they were signed with.
    pub async fn update_achievement(
        &self,
        caller: &ApiKey,
        id: AchievementId,
        patch: &serde_json::Value,
    ) -> Result<Achievement> {
        let (mut achievement, issuer) = self.achievement(id).await?;
        Self::require_issuer(caller, achievement.issuer_id)?;
        if patch.get("issuer").is_some() {
            return Err(ValidationErrors::single("issuer", "an achievement cannot move to another issuer").into());
        }
        let mut merged = serde_json::to_value(AchievementInput::from(&achievement.spec))
            .map_err(|e| ValidationErrors::single("achievement", e.to_string()))?;
        json_patch::merge(&mut merged, patch);
        let input: AchievementInput =
            serde_json::from_value(merged).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
        achievement.spec = input.validate(&issuer)?;
        self.check_template(&achievement.spec)?;
        achievement.updated_at = now();
        if !self.store.update_achievement(&achievement).await? {
            return Err(Error::NotFound { what: "achievement", id: id.to_string() });
        }
        Ok(achievement)
    }
}

/// What `issue_award` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// A new credential was issued.
    Created,
    /// The request repeated an earlier one with the same `Idempotency-Key`; nothing new was issued.
    Replayed,
}

impl Microcred {
    /// `<public-url>/credentials/<id>`: the credential's `id`, its public page and the QR code's target.
    pub fn credential_url(&self, id: CredentialId) -> String {
        format!("{}credentials/{id}", self.public_url)
    }

    /// `<public-url>/achievements/<id>`: the achievement's `id` in credentials.
    pub fn achievement_url(&self, id: AchievementId) -> String {
        format!("{}achievements/{id}", self.public_url)
    }

    /// Issues an award: builds the credential from the achievement, signs it with the issuer's active key
    /// (`eddsa-rdfc-2022`) and stores it.
    ///
    /// With an `Idempotency-Key`, a retry of the same request returns the credential already issued, and
    /// the same key with another request is refused. Awarding an achievement again to the same e-mail
    /// address needs `allow_duplicate`; otherwise the conflict names the existing credential. The database
    /// enforces both, so concurrent requests on several replicas cannot get around them.
    pub async fn issue_award(
        &self,
        caller: &ApiKey,
        input: AwardInput,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(IssuedCredential, Issued)> {
        let award = input.validate_printable(self.fonts.as_ref())?;
        let Some(achievement) = self.store.achievement(award.achievement_id).await? else {
            return Err(ValidationErrors::single("achievement_id", "no such achievement").into());
        };
        Self::require_issuer(caller, achievement.issuer_id)?;
        let issuer = self
            .store
            .issuer_by_id(achievement.issuer_id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "issuer", id: achievement.issuer_id.to_string() })?;
        if let Some(key) = idempotency_key
            && let Some(existing) = self.store.credential_by_idempotency_key(issuer.id, key).await?
        {
            return replay(existing, request_hash);
        }
        if !award.allow_duplicate {
            let held = self.store.holders(achievement.id, &[award.email.as_str()]).await?;
            if let Some((_, first)) = held.first() {
                return self.replay_or(issuer.id, idempotency_key, request_hash, duplicate(*first)).await;
            }
        }

        for _attempt in 0..3 {
            let id = CredentialId(Uuid::new_v4());
            let issued_at = now();
            let valid_from = award.awarded_at.unwrap_or(issued_at);
            let revocation = self.allocate_status(&issuer, StatusPurpose::Revocation).await?;
            let suspension = if issuer.suspension_enabled {
                Some(self.allocate_status(&issuer, StatusPurpose::Suspension).await?)
            } else {
                None
            };
            let mut unsigned = OpenBadgeCredential::award(&AwardFacts {
                id: self.credential_url(id),
                issuer: &issuer,
                achievement_url: self.achievement_url(achievement.id),
                achievement: &achievement.spec,
                recipient_name: &award.name,
                recipient_email: award.email.as_str(),
                recipient_id: award.recipient_id.as_deref(),
                result: award.result.as_deref(),
                valid_from,
                valid_until: award.valid_until,
            });
            // Open Badges 3.0 allows one status entry (an object with an id); a second, for suspension, makes an
            // array, which VCDM 2.0 allows and the OB 3.0 JSON Schema does not (the README explains the trade-off).
            unsigned.credential_status = Some(self.status_entries(revocation, suspension));
            let (key, options) = self.assertion_signer(&issuer, Cryptosuite::EddsaRdfc2022, issued_at).await?;
            // Signing is CPU work (about 0.2 ms): keep it off the async workers.
            let signed = tokio::task::spawn_blocking(move || {
                crate::metrics::timed("microcred_signature_seconds", || {
                    proof::sign_credential(&unsigned, &options, &key)
                })
            })
            .await
            .map_err(|e| Error::NotPossible(format!("signing was interrupted: {e}")))?
            .map_err(|e| ValidationErrors::single("credential", e.to_string()))?;
            let credential = IssuedCredential {
                id,
                issuer_id: issuer.id,
                achievement_id: Some(achievement.id),
                recipient_name: Some(award.name.clone()),
                recipient_email: Some(award.email.as_str().to_owned()),
                external_id: None,
                document: serde_json::value::to_raw_value(&signed)
                    .map_err(|e| ValidationErrors::single("credential", e.to_string()))?,
                issued_at,
                valid_until: award.valid_until,
                language: award.language.clone(),
                allow_duplicate: award.allow_duplicate,
                idempotency_key: idempotency_key.map(str::to_owned),
                request_hash: Some(request_hash),
                api_key_id: Some(caller.id),
                status: Some(revocation),
                suspension,
                revoked_at: None,
                revocation_reason: None,
                suspended_at: None,
                suspension_reason: None,
            };
            let conflict = match self
                .store
                .insert_credential(
                    &credential,
                    &audit(Some(caller), Some(issuer.id), "credential.issue", &id.to_string(), None),
                )
                .await
            {
                Ok(()) => {
                    info!(credential.id = %id, issuer.slug = %issuer.slug, achievement.id = %achievement.id, "issued credential {id}");
                    metrics::counter!("microcred_credentials_issued_total", "path" => "award").increment(1);
                    self.note_inserted(1);
                    return Ok((credential, Issued::Created));
                }
                // Another replica took the same random status index between our check and insert: draw again.
                Err(StoreError::Conflict { constraint })
                    if constraint.starts_with("credential_status_index")
                        || constraint.starts_with("credential_suspension_index") =>
                {
                    constraint
                }
                // Lost a race with a concurrent request: answer as if it had come first.
                Err(StoreError::Conflict { constraint }) if constraint == "credential_idempotency_key" => {
                    let key = idempotency_key.unwrap_or_default();
                    return match self.store.credential_by_idempotency_key(issuer.id, key).await? {
                        Some(existing) => replay(existing, request_hash),
                        None => Err(Error::Conflict("a concurrent request used this Idempotency-Key; retry".into())),
                    };
                }
                Err(StoreError::Conflict { constraint }) if constraint == "credential_one_award_per_recipient" => {
                    let held = self.store.holders(achievement.id, &[award.email.as_str()]).await?;
                    let error = held.first().map_or_else(
                        || Error::Conflict("this learner already holds this achievement".into()),
                        |(_, first)| duplicate(*first),
                    );
                    return self.replay_or(issuer.id, idempotency_key, request_hash, error).await;
                }
                Err(e) => return Err(e.into()),
            };
            tracing::debug!(credential.id = %id, %conflict, "status index taken concurrently; drawing again");
        }
        Err(Error::Conflict("status-list indexes were taken concurrently three times; retry the request".into()))
    }

    /// When a request with an `Idempotency-Key` meets an existing award, that award may be its own twin,
    /// committed by a concurrent retry (on this or another replica) after this request looked: answer as a
    /// retry if so, and with `error` otherwise.
    async fn replay_or(
        &self,
        issuer: IssuerId,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
        error: Error,
    ) -> Result<(IssuedCredential, Issued)> {
        if let Some(key) = idempotency_key
            && let Some(existing) = self.store.credential_by_idempotency_key(issuer, key).await?
        {
            return replay(existing, request_hash);
        }
        Err(error)
    }

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

fn replay(existing: IssuedCredential, request_hash: [u8; 32]) -> Result<(IssuedCredential, Issued)> {
    if existing.request_hash == Some(request_hash) {
        Ok((existing, Issued::Replayed))
    } else {
        Err(ValidationErrors::single(
            "Idempotency-Key",
            format!(
                "was already used for a different request (credential {}); use a new key for a new award",
                existing.id
            ),
        )
        .into())
    }
}

fn duplicate(existing: CredentialId) -> Error {
    Error::Conflict(format!(
        "this learner already holds this achievement: credential {existing}; send allow_duplicate: true to award it again"
    ))
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

fn slug_taken(slug: &Slug) -> Error {
    Error::Conflict(format!("an issuer with slug {slug} already exists"))
}

/// Only admins manage issuers, keys and API keys.
pub fn require_admin(caller: &ApiKey) -> Result<()> {
    if caller.role == Role::Admin { Ok(()) } else { Err(Error::Forbidden("this needs an admin API key".into())) }
}

/// A published status list: its version, the signed credential and the decoded bits.
#[derive(Debug)]
pub struct PublishedList {
    /// The list's version when this copy was made.
    pub version: i64,
    /// The signed `BitstringStatusListCredential`.
    pub credential: serde_json::Value,
    /// The bits, decoded once for verification.
    pub bits: Vec<u8>,
}

/// How long verifiers and caches may keep a published list, in milliseconds (the credential's `ttl`).
/// Short, because a revocation must show quickly; `ETag` revalidation keeps re-fetching cheap.
pub const STATUS_TTL_MS: u64 = 1_000;

impl Microcred {
    /// `<public-url>/status/<list-id>`: where a list is published.
    pub fn status_list_url(&self, id: StatusListId) -> String {
        format!("{}status/{id}", self.public_url)
    }

    /// The `credentialStatus` of a credential: one entry object (what Open Badges 3.0 allows), or an array
    /// with the suspension entry too.
    fn status_entries(&self, revocation: StatusSlot, suspension: Option<StatusSlot>) -> serde_json::Value {
        let revocation = self.status_entry(revocation, StatusPurpose::Revocation);
        match suspension {
            None => revocation,
            Some(slot) => {
                serde_json::Value::Array(vec![revocation, self.status_entry(slot, StatusPurpose::Suspension)])
            }
        }
    }

    /// `n` free, random indexes of the issuer's lists for `purpose` (see [`Self::allocate_status`]), drawn
    /// against one read of the taken indexes rather than one query each.
    async fn allocate_statuses(&self, issuer: &Issuer, purpose: StatusPurpose, n: u32) -> Result<Vec<StatusSlot>> {
        let mut slots = Vec::with_capacity(n as usize);
        while slots.len() < n as usize {
            let list = match self.store.latest_status_list(issuer.id, purpose).await? {
                Some(list) => list,
                None => self.open_status_list(issuer, purpose).await?,
            };
            let want = n - slots.len() as u32;
            let used = self.store.claim_status_slots(list.id, want).await?;
            let capacity = list.size / 2;
            let before = used.saturating_sub(want);
            if before >= capacity {
                self.open_status_list(issuer, purpose).await?;
                continue;
            }
            let take = want.min(capacity - before);
            let mut taken: std::collections::HashSet<u32> =
                self.store.taken_status_indexes(list.id).await?.into_iter().collect();
            let mut drawn = 0;
            while drawn < take {
                let index = rand_core::RngCore::next_u32(&mut rand_core::OsRng) % list.size;
                if taken.insert(index) {
                    slots.push(StatusSlot { list: list.id, index });
                    drawn += 1;
                }
            }
            if take < want {
                self.open_status_list(issuer, purpose).await?;
            }
        }
        Ok(slots)
    }

    /// The `credentialStatus` entry for a slot.
    fn status_entry(&self, slot: StatusSlot, purpose: StatusPurpose) -> serde_json::Value {
        let list = self.status_list_url(slot.list);
        serde_json::json!({
            "id": format!("{list}#{}", slot.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose.as_str(),
            "statusListIndex": slot.index.to_string(),
            "statusListCredential": list,
        })
    }

    /// A free, random index in the issuer's current list for `purpose`, opening a new list when the
    /// current one is half full, so that a random draw finds a free index at least half the time and
    /// allocation never slows down as lists fill. The database's unique index guarantees that a race
    /// between replicas cannot hand the same index out twice.
    async fn allocate_status(&self, issuer: &Issuer, purpose: StatusPurpose) -> Result<StatusSlot> {
        /// Capacity claimed from the shared count at a time, so most awards write nothing for it.
        const BLOCK: u32 = 16;
        for _ in 0..4 {
            let budgeted = self.status_budget.lock().ok().and_then(|mut budget| {
                let (list, remaining) = budget.get_mut(&(issuer.id, purpose))?;
                (*remaining > 0).then(|| {
                    *remaining -= 1;
                    list.clone()
                })
            });
            let list = match budgeted {
                Some(list) => list,
                None => {
                    let list = match self.store.latest_status_list(issuer.id, purpose).await? {
                        Some(list) => list,
                        None => self.open_status_list(issuer, purpose).await?,
                    };
                    let used = self.store.claim_status_slots(list.id, BLOCK).await?;
                    if used > list.size / 2 {
                        self.open_status_list(issuer, purpose).await?;
                        continue;
                    }
                    if let Ok(mut budget) = self.status_budget.lock() {
                        budget.insert((issuer.id, purpose), (list.clone(), BLOCK - 1));
                    }
                    list
                }
            };
            for _ in 0..64 {
                let index = rand_core::RngCore::next_u32(&mut rand_core::OsRng) % list.size;
                if !self.store.status_slot_taken(list.id, index).await? {
                    return Ok(StatusSlot { list: list.id, index });
                }
            }
        }
        Err(Error::NotPossible("no free status-list index could be found; try again".into()))
    }

    async fn open_status_list(&self, issuer: &Issuer, purpose: StatusPurpose) -> Result<StatusList> {
        let list = StatusList {
            id: StatusListId(Uuid::new_v4()),
            issuer_id: issuer.id,
            purpose,
            size: LIST_SIZE,
            version: 0,
            created_at: now(),
        };
        self.store.insert_status_list(&list).await?;
        info!(status_list.id = %list.id, issuer.slug = %issuer.slug, purpose = purpose.as_str(), "opened status list {}", list.id);
        Ok(list)
    }

    /// Revokes a credential, permanently; revoking again keeps the first date and reason.
    pub async fn revoke(&self, caller: &ApiKey, id: CredentialId, reason: &str) -> Result<IssuedCredential> {
        self.change_status(caller, id, StatusPurpose::Revocation, Some(reason)).await
    }

    /// Suspends a credential whose issuer gave it a suspension entry.
    pub async fn suspend(&self, caller: &ApiKey, id: CredentialId, reason: &str) -> Result<IssuedCredential> {
        self.change_status(caller, id, StatusPurpose::Suspension, Some(reason)).await
    }

    /// Lifts a suspension. A revoked credential stays revoked.
    pub async fn reinstate(&self, caller: &ApiKey, id: CredentialId) -> Result<IssuedCredential> {
        let credential = self.issued_credential_for(caller, id).await?;
        if credential.revoked_at.is_some() {
            return Err(Error::Conflict("this credential is revoked, and revocation is permanent".into()));
        }
        if credential.suspended_at.is_none() {
            return Err(Error::Conflict("this credential is not suspended".into()));
        }
        self.change_status(caller, id, StatusPurpose::Suspension, None).await
    }

    async fn change_status(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        purpose: StatusPurpose,
        reason: Option<&str>,
    ) -> Result<IssuedCredential> {
        let credential = self.issued_credential_for(caller, id).await?;
        let reason = match reason.map(str::trim) {
            Some("") => return Err(ValidationErrors::single("reason", "is required").into()),
            Some(r) => {
                Some(crate::domain::issuer::check_text(r, 500).map_err(|m| ValidationErrors::single("reason", m))?)
            }
            None => None,
        };
        if purpose == StatusPurpose::Suspension && credential.suspension.is_none() {
            return Err(Error::Conflict(
                "this credential has no suspension status entry: Open Badges 3.0 allows one status entry, so suspension is \
                 added only for issuers that enable it (issuer create --suspension) and only to credentials issued after that"
                    .into(),
            ));
        }
        let action = match (purpose, reason.is_some()) {
            (StatusPurpose::Revocation, _) => "credential.revoke",
            (StatusPurpose::Suspension, true) => "credential.suspend",
            (StatusPurpose::Suspension, false) => "credential.reinstate",
        };
        let entry = audit(Some(caller), Some(credential.issuer_id), action, &id.to_string(), reason.clone());
        if !self.store.set_credential_status(id, purpose, reason.as_deref(), &entry).await? {
            return Err(Error::Conflict("this credential has no status entry for that purpose".into()));
        }
        info!(credential.id = %id, purpose = purpose.as_str(), set = reason.is_some(), "changed status of credential {id}");
        metrics::counter!("microcred_status_changes_total", "action" => action).increment(1);
        let list = match purpose {
            StatusPurpose::Revocation => credential.status,
            StatusPurpose::Suspension => credential.suspension,
        };
        if let Some(slot) = list {
            self.note_status_change(slot.list).await;
        }
        self.issued_credential(id).await
    }

    /// Publishes a list's current state on behalf of its issuer's assessors and admins (VC-API `publish`).
    /// Lists here are re-signed on the first request after any change, so this only checks access and
    /// makes sure the signed copy is current.
    pub async fn publish_status_list(&self, caller: &ApiKey, id: StatusListId) -> Result<()> {
        let list = self
            .store
            .status_list(id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "status list", id: id.to_string() })?;
        Self::require_issuer(caller, list.issuer_id)?;
        self.published_status_list(id).await.map(|_| ())
    }

    /// The signed `BitstringStatusListCredential` of a list, regenerated when the list's version changed
    /// (on any replica) and otherwise served from memory, so a change is published at the next request.
    pub async fn published_status_list(&self, id: StatusListId) -> Result<Arc<PublishedList>> {
        let list = self
            .store
            .status_list(id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "status list", id: id.to_string() })?;
        if let Some(cached) = self.status_cache.lock().ok().and_then(|c| c.get(&id).cloned())
            && cached.version == list.version
        {
            return Ok(cached);
        }
        let issuer = self
            .store
            .issuer_by_id(list.issuer_id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "issuer", id: list.issuer_id.to_string() })?;
        let set = self.store.set_status_indexes(id, list.purpose).await?;
        let encoded =
            crate::domain::status::encode_list(list.size, &set).map_err(|e| Error::NotPossible(e.to_string()))?;
        let bits = crate::domain::status::decode_list(&encoded).map_err(|e| Error::NotPossible(e.to_string()))?;
        let url = self.status_list_url(id);
        let unsigned = serde_json::json!({
            "@context": [crate::vc::contexts::CREDENTIALS_V2],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer.did,
            "validFrom": proof::xsd_date_time(now()),
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": list.purpose.as_str(),
                "encodedList": encoded,
                "ttl": STATUS_TTL_MS,
            },
        });
        let (key, options) = self.assertion_signer(&issuer, Cryptosuite::EddsaRdfc2022, now()).await?;
        let credential = tokio::task::spawn_blocking(move || {
            crate::metrics::timed("microcred_status_list_sign_seconds", || proof::secure(&unsigned, &options, &key))
        })
        .await
        .map_err(|e| Error::NotPossible(format!("signing was interrupted: {e}")))?
        .map_err(|e| Error::NotPossible(format!("cannot sign the status list: {e}")))?;
        let published = Arc::new(PublishedList { version: list.version, credential, bits });
        if let Ok(mut cache) = self.status_cache.lock() {
            cache.insert(id, Arc::clone(&published));
        }
        Ok(published)
    }
}
