//! Issuers, their signing keys and DID documents, and the API keys that act for them.

use time::OffsetDateTime;
use tracing::info;
use uuid::Uuid;

use super::require_admin;
use super::{Microcred, audit, now};
use crate::domain::api_key::{ApiKey, Role};
use crate::domain::api_key::{ApiKeyId, ApiToken, SecretHash};
use crate::domain::did::{DidDocument, did_key, did_web};
use crate::domain::issuer::{CountryCode, DidMethod, Issuer, IssuerId, MailSettings, NewIssuer, Slug};
use crate::error::OnConstraint as _;
use crate::error::{Error, Result};
use crate::keys::IssuerSigningKey;
use crate::store::{Constraint, IssuerKey};
use crate::vc::proof::{Cryptosuite, ProofOptions};

/// An issuer as the public sees it at `/issuers/{slug}`.
#[derive(Debug, Clone)]
pub struct PublicProfile {
    /// The issuer.
    pub issuer: Issuer,
    /// Its signing keys, oldest first; retired keys stay published (old credentials still verify).
    pub keys: Vec<IssuerKey>,
    /// Its achievements, newest first.
    pub achievements: Vec<crate::domain::achievement::Achievement>,
}

impl Microcred {
    /// Creates an issuer and its first key. The key file is written first and removed again if the
    /// database refuses the issuer, so neither a key without issuer nor an issuer without key remains.
    pub async fn create_issuer(&self, new: NewIssuer) -> Result<(Issuer, IssuerKey)> {
        if self.store.issuer_by_slug(&new.slug).await?.is_some() {
            return Err(slug_taken(&new.slug));
        }
        let key = self.keys.generate(&new.slug)?;
        let did = match new.did_method {
            DidMethod::Web => did_web(self.urls.base(), &new.slug),
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
            mail: new.mail,
            holder_binding_required: new.holder_binding_required,
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
        stored.on_constraint(Constraint::IssuerSlug, || slug_taken(&issuer.slug)).map(|()| {
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
            url: Some(self.urls.base().clone()),
            email: None,
            country,
            description: None,
            logo_url: None,
            did_method: DidMethod::Web,
            suspension_enabled: false,
            mail: MailSettings::default(),
            holder_binding_required: false,
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

    /// What an issuer's public profile shows: the issuer, all its keys (oldest first, retired ones with their
    /// dates) and its achievements (the catalogue, newest first). Anyone may read it.
    pub async fn public_profile(&self, slug: &Slug) -> Result<PublicProfile> {
        let (issuer, keys) = self.issuer_keys(slug).await?;
        let mut achievements = self.store.achievements(issuer.id).await?;
        achievements.sort_by_key(|a| std::cmp::Reverse(a.created_at));
        Ok(PublicProfile { issuer, keys, achievements })
    }

    /// One issuer, for an admin or an API key of that issuer.
    pub async fn issuer_for(&self, caller: &ApiKey, slug: &Slug) -> Result<Issuer> {
        let issuer = self.issuer(slug).await?;
        Self::require_issuer(caller, issuer.id)?;
        Ok(issuer)
    }

    /// Changes an issuer's profile with a JSON merge patch (RFC 7396), validated as a whole
    /// ([`Issuer::patched`]) and audited with the names of the fields that changed. `by` is the admin's API
    /// key, or `None` for the operator's command line. Credentials issued from now on carry the new profile;
    /// those already issued are signed and stay exactly as they are.
    pub async fn update_issuer(&self, by: Option<&ApiKey>, slug: &Slug, patch: &serde_json::Value) -> Result<Issuer> {
        if let Some(caller) = by {
            require_admin(caller)?;
        }
        let issuer = self.issuer(slug).await?;
        let mut patch = patch.clone();
        self.intake_data_url(&mut patch, "logo_url").await?;
        let updated = issuer.patched(&patch)?;
        let changed = changed_fields(&issuer, &updated);
        if changed.is_empty() {
            return Ok(issuer);
        }
        let entry = audit(
            by,
            Some(issuer.id),
            "issuer.update",
            slug.as_str(),
            Some(format!("changed: {}", changed.join(", "))),
        );
        if !self.store.update_issuer(&updated, &entry).await? {
            return Err(Error::NotFound { what: "issuer", id: slug.to_string() });
        }
        self.signing_sources.clear();
        info!(issuer.slug = %slug, changed = %changed.join(","), "updated issuer {slug}");
        Ok(updated)
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
            return Err(e).on_constraint(Constraint::OneActiveKey, || {
                Error::Conflict(format!("another rotation of issuer {slug} happened at the same time; try again"))
            });
        }
        self.signing_sources.clear();
        info!(issuer.slug = %slug, key.id = %new_key.key_id, "rotated signing key of issuer {slug}");
        Ok(new_key)
    }

    /// The issuer's active key and the options of an `assertionMethod` proof made with it now (`created`).
    pub(super) async fn assertion_signer(
        &self,
        issuer: &Issuer,
        cryptosuite: Cryptosuite,
        created: OffsetDateTime,
    ) -> Result<(IssuerSigningKey, ProofOptions)> {
        let key = self.signing_key(issuer).await?;
        Ok(assertion_options(issuer, key, cryptosuite, created))
    }

    /// The issuer's active signing key, loaded from its file.
    pub async fn signing_key(&self, issuer: &Issuer) -> Result<IssuerSigningKey> {
        let keys = self.store.issuer_keys(issuer.id).await?;
        self.signing_key_of(issuer, keys.iter().find(|k| k.retired_at.is_none()))
    }

    /// The private half of `active`, the issuer's active key as the store reported it (`None`: every key
    /// retired), from memory or else from its file.
    pub(super) fn signing_key_of(&self, issuer: &Issuer, active: Option<&IssuerKey>) -> Result<IssuerSigningKey> {
        let active = active.ok_or_else(|| {
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
            self.signing_sources.clear();
            info!(api_key.id = %id, "revoked API key {id}");
            Ok(())
        } else {
            Err(Error::NotFound { what: "API key", id: id.to_string() })
        }
    }

    /// Checks a bearer token ([`Microcred::parse_token`]): it must be known, match in constant time, and not
    /// be revoked. Every failure gives the same answer, so a caller learns nothing about which part was wrong.
    pub async fn authenticate(&self, token: &ApiToken) -> Result<ApiKey> {
        accept_token(token, self.store.api_key(token.id()).await?)
    }

    /// A presented bearer token's parts, before any lookup: 401 (the same answer as every bad token) if it is
    /// not a token microcred could have made.
    pub fn parse_token(token: &str) -> Result<ApiToken> {
        ApiToken::parse(token).map_err(|_| REFUSED)
    }
}

/// The answer to every bad token, so a caller learns nothing about which part was wrong.
pub(super) const REFUSED: Error = Error::Unauthorized(crate::error::TOKEN_REFUSED);

/// The API key `token` names, as read from the store, if the token's secret matches its hash (in constant
/// time) and it is not revoked; else 401.
pub(super) fn accept_token(token: &ApiToken, stored: Option<(ApiKey, SecretHash)>) -> Result<ApiKey> {
    match stored {
        Some((key, hash)) if hash.matches(&token.hash()) && key.revoked_at.is_none() => Ok(key),
        _ => Err(REFUSED),
    }
}

/// `key` with the options of an `assertionMethod` proof by `issuer` made at `created`.
pub(super) fn assertion_options(
    issuer: &Issuer,
    key: IssuerSigningKey,
    cryptosuite: Cryptosuite,
    created: OffsetDateTime,
) -> (IssuerSigningKey, ProofOptions) {
    let options = ProofOptions {
        cryptosuite,
        verification_method: format!("{}#{}", issuer.did, key.key_id()),
        proof_purpose: "assertionMethod".into(),
        created,
        id: None,
        previous_proof: None,
    };
    (key, options)
}

fn slug_taken(slug: &Slug) -> Error {
    Error::Conflict(format!("an issuer with slug {slug} already exists"))
}

/// The profile fields that differ between two versions of an issuer, by their API names.
fn changed_fields(before: &Issuer, after: &Issuer) -> Vec<&'static str> {
    [
        ("name", before.name != after.name),
        ("url", before.url != after.url),
        ("email", before.email != after.email),
        ("country", before.country != after.country),
        ("description", before.description != after.description),
        ("logo_url", before.logo_url != after.logo_url),
        ("suspension_enabled", before.suspension_enabled != after.suspension_enabled),
        ("mail.sender_name", before.mail.sender_name != after.mail.sender_name),
        ("mail.reply_to", before.mail.reply_to != after.mail.reply_to),
        ("mail.attach_pdf", before.mail.attach_pdf != after.mail.attach_pdf),
        ("mail.expiry_reminder_days", before.mail.expiry_reminder_days != after.mail.expiry_reminder_days),
        ("holder_binding_required", before.holder_binding_required != after.holder_binding_required),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}
