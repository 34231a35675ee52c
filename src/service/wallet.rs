//! "Add to wallet": offers minted on demand, and the two ways a wallet takes one up: OpenID4VCI 1.0
//! (pre-authorized code → access token → `c_nonce` → credential → notification) and a W3C VCALM exchange
//! (DIDAuthentication). Either way the wallet gets the award re-signed with `credentialSubject.id` = the
//! holder's DID and the same status entries, so revoking the award revokes every wallet copy.
//!
//! See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html>,
//! <https://w3c.github.io/vcalm/#workflows-and-exchanges>

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use super::learners::Learner;
use super::{Microcred, audit, issuance, now};
use crate::domain::api_key::ApiKey;
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::issuer::Issuer;
use crate::domain::wallet::{NOTIFICATION_EVENTS, OfferState, WalletCredential, WalletOffer, WalletProtocol};
use crate::error::{Error, Result};
use crate::store::unix_ms;
use crate::vc::exchange::{self, first_proof};
use crate::vc::holder;
use crate::vc::oid4vci::{self, ErrorCode, OAuthError, TxCodeSpec};
use crate::vc::proof::Cryptosuite;

/// Longest life of an offer: OpenID4VCI §4.1.1 asks pre-authorized codes to be short-lived, and anyone
/// holding one gets the credential.
pub const MAX_OFFER_TTL: Duration = Duration::from_secs(600);
/// Life of an access token: OpenID4VCI §13.10 calls tokens living longer than 5 minutes long-lived.
pub const ACCESS_TOKEN_TTL_MS: i64 = 300_000;
/// Life of a `c_nonce`.
pub const NONCE_TTL_MS: i64 = 300_000;
/// Digits of a transaction code.
pub const TX_CODE_DIGITS: usize = 6;

/// Who asked for an offer.
#[derive(Debug, Clone, Copy)]
enum OfferedBy<'a> {
    /// An assessor through the API.
    Assessor(&'a ApiKey),
    /// The signed-in learner the credential was issued to, from their space.
    Learner,
}

/// A minted offer: every address a wallet or a person may use, and when it stops working.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MintedOffer {
    /// Where a wallet fetches the Credential Offer (once).
    pub credential_offer_uri: String,
    /// `openid-credential-offer://?credential_offer_uri=…`: the offer for OpenID4VCI wallets (same-device link).
    pub offer_url: String,
    /// The VCALM interaction URL (`…?iuv=1`): one QR code for OpenID4VCI and VC-API wallets.
    pub interaction_url: String,
    /// The VCALM exchange (VC-API wallets such as the DCC Learner Credential Wallet).
    #[serde(skip)]
    pub exchange_url: String,
    /// The DCC Learner Credential Wallet's deep link (none for an offer with a transaction code).
    #[serde(skip)]
    pub lcw_url: Option<String>,
    /// The transaction code to send the learner over another channel (only when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
    /// When the offer stops working if unused.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// An access token's answer (RFC 6749 §5.1).
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-successful-token-response>
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: i64,
}

/// A token request's form fields (others, such as RFC 8707 `resource` or the old `user_pin`, are ignored).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// Must be `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(default)]
    pub grant_type: Option<String>,
    /// The code from the offer.
    #[serde(rename = "pre-authorized_code", default)]
    pub pre_authorized_code: Option<String>,
    /// The transaction code, when the offer asks for one.
    #[serde(default)]
    pub tx_code: Option<String>,
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

fn random_digits(n: usize) -> String {
    // Rejection sampling keeps every digit uniform.
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut byte = [0u8; 1];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut byte);
        if byte[0] < 250 {
            out.push(char::from(b'0' + byte[0] % 10));
        }
    }
    out
}

fn oauth(code: ErrorCode, description: impl Into<String>) -> Error {
    Error::OAuth(OAuthError::new(code, description))
}

fn tx_code_spec() -> TxCodeSpec {
    TxCodeSpec {
        length: TX_CODE_DIGITS,
        description: "Enter the code your training provider sent you with this offer".into(),
    }
}

/// Why an award cannot go to a wallet now, if it cannot: revoked, suspended, renewed or expired (a wallet copy
/// would be a fresh signature on a credential no longer current).
fn not_issuable(credential: &IssuedCredential) -> Option<&'static str> {
    if credential.revoked_at.is_some() {
        Some("the credential has been revoked")
    } else if credential.suspended_at.is_some() {
        Some("the credential is suspended")
    } else if credential.superseded_by.is_some() {
        Some("the credential has been renewed: add the renewal to the wallet instead")
    } else if credential.valid_until.is_some_and(|until| until <= now()) {
        Some("the credential has expired")
    } else {
        None
    }
}

/// The stored credential's document.
fn document_of(credential: &IssuedCredential) -> Result<Value> {
    serde_json::from_str(credential.document.get())
        .map_err(|e| Error::Internal(format!("stored credential {} is not JSON: {e}", credential.id)))
}

impl Microcred {
    /// Mints a single-use offer of award `id` for an assessor (of its issuer), valid for the configured offer
    /// lifetime (at most 10 minutes), with a 6-digit transaction code when `with_tx_code` (for an offer sent
    /// over another channel than the code). A revoked, suspended or expired award, or one that cannot be bound
    /// to a holder, cannot be offered (409).
    pub async fn mint_offer(&self, caller: &ApiKey, id: CredentialId, with_tx_code: bool) -> Result<MintedOffer> {
        let credential = self.issued_credential_for(caller, id).await?;
        self.mint(&credential, OfferedBy::Assessor(caller), with_tx_code).await
    }

    async fn mint(&self, credential: &IssuedCredential, by: OfferedBy<'_>, with_tx_code: bool) -> Result<MintedOffer> {
        let id = credential.id;
        if let Some(reason) = not_issuable(credential) {
            return Err(Error::NotPossible(format!("{reason}: it cannot be added to a wallet")));
        }
        // Refused now rather than after a wallet spent the code: a credential that cannot be bound.
        holder::check_bindable(&document_of(credential)?).map_err(Error::NotPossible)?;
        let created = now();
        let created_ms = unix_ms(created);
        let expires_at = created + self.wallet_offer_ttl;
        let offer_id = random_token(16);
        let code = random_token(32);
        let tx_code = with_tx_code.then(|| random_digits(TX_CODE_DIGITS));
        let offer = WalletOffer {
            offer_id: offer_id.clone(),
            credential_id: id,
            code_hash: sha256(&code),
            code: Some(code),
            tx_code_hash: tx_code.as_deref().map(sha256),
            tx_code_failures: 0,
            challenge: random_token(24),
            created_by: match by {
                OfferedBy::Assessor(caller) => caller.id.to_string(),
                OfferedBy::Learner => "learner".into(),
            },
            created_ms,
            expires_ms: unix_ms(expires_at),
            served_ms: None,
            redeemed_ms: None,
            protocol: None,
            token_hash: None,
            token_expires_ms: None,
        };
        let (caller, reason) = match by {
            OfferedBy::Assessor(caller) => (Some(caller), with_tx_code.then(|| "with a transaction code".to_owned())),
            OfferedBy::Learner => (None, Some("asked for by the learner".to_owned())),
        };
        let entry = audit(caller, Some(credential.issuer_id), "credential.wallet_offer", &id.to_string(), reason);
        // A learner's new QR code replaces the one shown before: at most one of theirs works per credential.
        let replaces = matches!(by, OfferedBy::Learner).then_some("learner");
        self.store.insert_wallet_offer(&offer, replaces, &entry).await?;
        Ok(self.minted(&offer, tx_code, expires_at))
    }

    fn minted(&self, offer: &WalletOffer, tx_code: Option<String>, expires_at: OffsetDateTime) -> MintedOffer {
        let credential_offer_uri = self.urls.credential_offer(&offer.offer_id);
        let exchange_url = self.urls.exchange(&offer.offer_id);
        let issuer = self.urls.credential_issuer();
        let query =
            |pairs: &[(&str, &str)]| url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let lcw_url = offer.tx_code_hash.is_none().then(|| {
            format!(
                "https://lcw.app/request.html?{}",
                query(&[
                    ("issuer", &issuer),
                    ("auth_type", "bearer"),
                    ("challenge", &offer.challenge),
                    ("vc_request_url", &format!("{exchange_url}/lcw")),
                ])
            )
        });
        MintedOffer {
            offer_url: oid4vci::offer_url(&credential_offer_uri),
            credential_offer_uri,
            interaction_url: self.urls.interaction(&offer.offer_id),
            exchange_url,
            lcw_url,
            tx_code,
            expires_at,
        }
    }

    /// The issuer of an issued credential.
    async fn issuer_of(&self, credential: &IssuedCredential) -> Result<Issuer> {
        self.store
            .issuer_by_id(credential.issuer_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("credential {} names a missing issuer", credential.id)))
    }

    /// Whether award `id` was issued to the signed-in learner's address.
    pub async fn learner_holds(&self, learner: &Learner, id: CredentialId) -> Result<bool> {
        match self.store.credential(id).await? {
            Some(credential) => Ok(learner.holds(&credential)),
            None => Ok(false),
        }
    }

    /// Mints an offer of award `id` for a signed-in learner, if it was issued to their address (otherwise it
    /// is not found): a holder-bound copy says its holder is the learner, so only someone who proved the
    /// address just now may ask for one, never a link that can be forwarded or shared.
    pub async fn mint_offer_for_learner(&self, id: CredentialId, learner: &Learner) -> Result<MintedOffer> {
        let credential = self.issued_credential(id).await?;
        if !learner.holds(&credential) {
            return Err(Error::NotFound { what: "credential", id: id.to_string() });
        }
        self.mint(&credential, OfferedBy::Learner, false).await
    }

    /// The Credential Offer behind `offer_id`'s `credential_offer_uri`, handed out once: a second request,
    /// or one after the offer was used or expired, finds nothing.
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-sending-credential-offer-by->
    pub async fn credential_offer(&self, offer_id: &str) -> Result<Value> {
        let gone = || Error::NotFound { what: "credential offer", id: offer_id.to_owned() };
        let offer = self.store.serve_wallet_offer(offer_id, unix_ms(now())).await?.ok_or_else(gone)?;
        let code = offer.code.as_deref().ok_or_else(gone)?;
        let tx = offer.tx_code_hash.map(|_| tx_code_spec());
        let credential = self.issued_credential(offer.credential_id).await?;
        let issuer = self.issuer_of(&credential).await?;
        let issuer_id = self.urls.credential_issuer();
        Ok(oid4vci::credential_offer(&issuer_id, code, tx.as_ref(), !issuer.holder_binding_required))
    }

    /// Whether the offer behind `offer_id`'s URI would still be served (for `HEAD`, which must not use it up).
    pub async fn credential_offer_is_open(&self, offer_id: &str) -> Result<bool> {
        let offer = self.store.wallet_offer(offer_id).await?;
        Ok(offer.is_some_and(|o| o.state(unix_ms(now())) == OfferState::Open && o.code.is_some()))
    }

    /// The token endpoint: exchanges a pre-authorized code (and its transaction code, if the offer asked
    /// for one) for a short-lived access token, once. Wrong transaction codes count against the offer, which
    /// is withdrawn after [`crate::domain::wallet::MAX_TX_CODE_FAILURES`].
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-token-endpoint>
    pub async fn redeem_pre_authorized_code(&self, request: &TokenRequest) -> Result<TokenResponse> {
        match request.grant_type.as_deref() {
            Some(oid4vci::PRE_AUTHORIZED_CODE_GRANT) => {}
            None => return Err(oauth(ErrorCode::InvalidRequest, "grant_type is required")),
            Some(other) => {
                return Err(oauth(
                    ErrorCode::UnsupportedGrantType,
                    format!("grant_type {other} is not supported: only the pre-authorized code"),
                ));
            }
        }
        let Some(code) = request.pre_authorized_code.as_deref().filter(|c| !c.is_empty()) else {
            return Err(oauth(ErrorCode::InvalidRequest, "pre-authorized_code is required"));
        };
        let unknown = || oauth(ErrorCode::InvalidGrant, "the pre-authorized code is unknown, used or expired");
        let offer = self.store.wallet_offer_by_code(&sha256(code)).await?.ok_or_else(unknown)?;
        let now_ms = unix_ms(now());
        if offer.state(now_ms) != OfferState::Open {
            return Err(unknown());
        }
        match (offer.tx_code_hash, request.tx_code.as_deref()) {
            (None, Some(_)) => {
                return Err(oauth(ErrorCode::InvalidRequest, "this offer has no transaction code, but one was sent"));
            }
            (Some(_), None) => {
                return Err(oauth(ErrorCode::InvalidRequest, "this offer needs its transaction code (tx_code)"));
            }
            (Some(expected), Some(given)) => {
                if !bool::from(expected.ct_eq(&sha256(given))) {
                    let credential = self.issued_credential(offer.credential_id).await?;
                    let failures = offer.tx_code_failures + 1;
                    let reason = match failures >= crate::domain::wallet::MAX_TX_CODE_FAILURES {
                        true => format!(
                            "offer {}: wrong transaction code {failures}, the offer is withdrawn",
                            offer.offer_id
                        ),
                        false => format!("offer {}: wrong transaction code {failures}", offer.offer_id),
                    };
                    let entry = audit(
                        None,
                        Some(credential.issuer_id),
                        "credential.wallet_tx_code_failed",
                        &offer.credential_id.to_string(),
                        Some(reason),
                    );
                    self.store.note_tx_code_failure(&offer.offer_id, &entry).await?;
                    return Err(oauth(ErrorCode::InvalidGrant, "the transaction code is wrong"));
                }
            }
            (None, None) => {}
        }
        let token = random_token(32);
        let token_expires = now_ms + ACCESS_TOKEN_TTL_MS;
        let credential = self.issued_credential(offer.credential_id).await?;
        let entry = audit(
            None,
            Some(credential.issuer_id),
            "credential.wallet_token",
            &offer.credential_id.to_string(),
            Some(format!("offer {}", offer.offer_id)),
        );
        let redeemed = self
            .store
            .redeem_wallet_offer(
                &offer.offer_id,
                now_ms,
                WalletProtocol::Oid4vci,
                Some((&sha256(&token), token_expires)),
                &entry,
            )
            .await?;
        if !redeemed {
            return Err(unknown());
        }
        Ok(TokenResponse { access_token: token, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_MS / 1_000 })
    }

    /// The nonce endpoint: a fresh `c_nonce`, accepted once within 5 minutes.
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-nonce-endpoint>
    pub async fn wallet_nonce(&self) -> Result<String> {
        let nonce = random_token(24);
        self.store.insert_wallet_nonce(&sha256(&nonce), unix_ms(now()) + NONCE_TTL_MS).await?;
        Ok(nonce)
    }

    async fn offer_for_token(&self, access_token: &str) -> Result<WalletOffer> {
        self.store
            .wallet_offer_by_token(&sha256(access_token), unix_ms(now()))
            .await?
            .ok_or_else(|| oauth(ErrorCode::InvalidToken, "the access token is unknown or expired"))
    }

    /// Accepts a key proof's `nonce` once, if it is a `c_nonce` this issuer handed out and it has not expired.
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-nonce-endpoint>
    async fn take_nonce(&self, nonce: Option<&str>) -> Result<()> {
        let Some(nonce) = nonce else {
            return Err(oauth(
                ErrorCode::InvalidProof,
                "the key proof has no nonce: get a c_nonce from the nonce endpoint",
            ));
        };
        if self.store.take_wallet_nonce(&sha256(nonce), unix_ms(now())).await? {
            Ok(())
        } else {
            Err(oauth(ErrorCode::InvalidNonce, "the nonce is not a fresh c_nonce of this issuer: get a new one"))
        }
    }

    /// The credential endpoint: checks the access token, the request and its key proof (`jwt` or `di_vp`),
    /// and answers `{"credentials": [{"credential": …}], "notification_id": …}` with the award bound to the
    /// proven holder (or as issued, when the wallet proves no key and the issuer allows bearer credentials).
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-endpoint>
    pub async fn credential_for_wallet(&self, access_token: &str, request: &Value) -> Result<Value> {
        let offer = self.offer_for_token(access_token).await?;
        let Some(request) = request.as_object() else {
            return Err(oauth(ErrorCode::InvalidCredentialRequest, "the request must be a JSON object"));
        };
        let bound = match (request.get("credential_configuration_id"), request.get("credential_identifier")) {
            (Some(Value::String(id)), None) if id == oid4vci::OPEN_BADGE_LDP_VC => true,
            (Some(Value::String(id)), None) if id == oid4vci::OPEN_BADGE_LDP_VC_UNBOUND => false,
            (Some(Value::String(id)), None) => {
                return Err(oauth(
                    ErrorCode::UnknownCredentialConfiguration,
                    format!(
                        "unknown credential configuration {id}: this issuer offers {} and {}",
                        oid4vci::OPEN_BADGE_LDP_VC,
                        oid4vci::OPEN_BADGE_LDP_VC_UNBOUND
                    ),
                ));
            }
            (None, Some(_)) => {
                return Err(oauth(
                    ErrorCode::UnknownCredentialIdentifier,
                    "this token was issued without credential identifiers: use credential_configuration_id",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(oauth(
                    ErrorCode::InvalidCredentialRequest,
                    "send credential_configuration_id or credential_identifier, not both",
                ));
            }
            _ => {
                return Err(oauth(
                    ErrorCode::InvalidCredentialRequest,
                    "credential_configuration_id (a string) is required",
                ));
            }
        };
        let credential = self.issued_credential(offer.credential_id).await?;
        let issuer = self.issuer_of(&credential).await?;
        // The bound configuration advertises proof types, so its requests must carry a proof (§8.2); the
        // unbound one advertises none, and is offered only by issuers that allow bearer credentials.
        let proofs = request.get("proofs").filter(|p| !p.is_null());
        let holder = match (bound, proofs) {
            (true, Some(proofs)) => Some(self.holder_from_proofs(proofs).await?),
            (true, None) => {
                return Err(oauth(
                    ErrorCode::InvalidProof,
                    format!(
                        "{} is bound to the holder's key: send proofs (or request {} if the offer names it)",
                        oid4vci::OPEN_BADGE_LDP_VC,
                        oid4vci::OPEN_BADGE_LDP_VC_UNBOUND
                    ),
                ));
            }
            (false, _) if issuer.holder_binding_required => {
                return Err(oauth(
                    ErrorCode::CredentialRequestDenied,
                    format!("this issuer binds its credentials to a key: request {}", oid4vci::OPEN_BADGE_LDP_VC),
                ));
            }
            (false, Some(_)) => {
                return Err(oauth(
                    ErrorCode::InvalidCredentialRequest,
                    format!(
                        "{} takes no proofs: request {} to bind the credential to your key",
                        oid4vci::OPEN_BADGE_LDP_VC_UNBOUND,
                        oid4vci::OPEN_BADGE_LDP_VC
                    ),
                ));
            }
            (false, None) => None,
        };
        if let Some(reason) = not_issuable(&credential) {
            return Err(oauth(ErrorCode::CredentialRequestDenied, reason));
        }
        let denied = |e: Error| match e {
            Error::NotPossible(reason) => oauth(ErrorCode::CredentialRequestDenied, reason),
            other => other,
        };
        let issued = self.bound_credential(&credential, &issuer, holder.as_deref()).await.map_err(denied)?;
        let notification_id = random_token(16);
        let record = WalletCredential {
            notification_id: notification_id.clone(),
            offer_id: offer.offer_id.clone(),
            credential_id: credential.id,
            holder: holder.clone(),
            protocol: WalletProtocol::Oid4vci,
            issued_ms: unix_ms(now()),
            event: None,
            event_ms: None,
        };
        let entry = audit(
            None,
            Some(credential.issuer_id),
            "credential.wallet_issue",
            &credential.id.to_string(),
            Some(match &holder {
                Some(did) => format!("OpenID4VCI, bound to {did}"),
                None => "OpenID4VCI, bearer credential (no key proof)".to_owned(),
            }),
        );
        // One credential per offer: a second request with the same token (another key, or a replay) gets
        // nothing; the learner asks for a new offer.
        if !self.store.insert_wallet_credential(&record, &entry).await? {
            return Err(oauth(
                ErrorCode::CredentialRequestDenied,
                "this offer's credential was already issued: ask for a new offer",
            ));
        }
        metrics::counter!("microcred_wallet_credentials_total", "protocol" => "oid4vci").increment(1);
        Ok(json!({"credentials": [{"credential": issued}], "notification_id": notification_id}))
    }

    /// The holder DID the `proofs` of a credential request prove: exactly one proof type, one proof
    /// (microcred issues one credential per request), a fresh `c_nonce`.
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-request>,
    /// <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-proof-types>
    async fn holder_from_proofs(&self, proofs: &Value) -> Result<String> {
        let invalid = |why: &str| oauth(ErrorCode::InvalidProof, why);
        let Some(proofs) = proofs.as_object() else { return Err(invalid("proofs must be an object")) };
        if proofs.len() != 1 {
            return Err(invalid("proofs must hold exactly one proof type (jwt or di_vp)"));
        }
        let Some((kind, list)) = proofs.iter().next() else { return Err(invalid("proofs is empty")) };
        let items = match list {
            Value::Array(items) if items.len() == 1 => items,
            Value::Array(items) if items.is_empty() => return Err(invalid("the proof list is empty")),
            Value::Array(_) => return Err(invalid("one proof per request: this issuer issues one credential")),
            _ => return Err(invalid("each proof type maps to an array of proofs")),
        };
        let audience = self.urls.credential_issuer();
        match kind.as_str() {
            "jwt" => {
                let Some(jwt) = items[0].as_str() else { return Err(invalid("a jwt proof is a string")) };
                let proof = holder::verify_proof_jwt(jwt, &audience, OffsetDateTime::now_utc())
                    .map_err(|e| oauth(ErrorCode::InvalidProof, e.0))?;
                self.take_nonce(proof.nonce.as_deref()).await?;
                Ok(proof.holder.did)
            }
            "di_vp" => {
                let vp = &items[0];
                let challenge =
                    first_proof(vp).and_then(|p| p.get("challenge")).and_then(Value::as_str).map(str::to_owned);
                let holder = self
                    .authenticate_holder(vp, challenge.as_deref(), Some(&audience))
                    .await
                    .map_err(|e| oauth(ErrorCode::InvalidProof, e))?;
                self.take_nonce(challenge.as_deref()).await?;
                Ok(holder)
            }
            other => Err(invalid(&format!("proof type {other} is not supported (jwt, di_vp)"))),
        }
    }

    /// Checks a DIDAuthentication presentation: signed (`authentication`) with `challenge` and `domain`,
    /// with one proof by a key of `holder` (when given). Returns the holder's DID, or what is wrong.
    async fn authenticate_holder(
        &self,
        vp: &Value,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> std::result::Result<String, String> {
        let Some(challenge) = challenge else { return Err("the presentation's proof has no challenge".into()) };
        let proofs = match vp.get("proof") {
            Some(Value::Object(_)) => 1,
            Some(Value::Array(items)) => items.len(),
            _ => 0,
        };
        if proofs != 1 {
            return Err("the presentation must carry exactly one proof".into());
        }
        if vp.get("verifiableCredential").is_some() {
            return Err("a DIDAuthentication presentation carries no credentials".into());
        }
        let method = first_proof(vp)
            .and_then(|p| p.get("verificationMethod"))
            .and_then(Value::as_str)
            .ok_or("the proof has no verificationMethod")?;
        let did = method.split('#').next().unwrap_or(method).to_owned();
        if !did.starts_with("did:key:") {
            return Err("the holder must be a did:key (Ed25519)".into());
        }
        if let Some(named) = vp.get("holder") {
            let named = named.as_str().or_else(|| named.get("id").and_then(Value::as_str));
            if named != Some(did.as_str()) {
                return Err("the presentation's holder is not the key's controller".into());
            }
        }
        let problems = self.verify_presentation(vp, Some(challenge), domain).await.map_err(|e| e.to_string())?;
        if problems.is_empty() { Ok(did) } else { Err(problems.join("; ")) }
    }

    /// The award as a wallet receives it: for a holder, re-signed (`eddsa-rdfc-2022`, the configuration's
    /// suite) with `credentialSubject.id` = the holder's DID and everything else as issued (its `id`, status
    /// entries, claims: revoking the award revokes the copy); without one, as issued. A credential that cannot
    /// be bound is [`Error::NotPossible`].
    async fn bound_credential(
        &self,
        credential: &IssuedCredential,
        issuer: &Issuer,
        holder: Option<&str>,
    ) -> Result<Value> {
        let document = document_of(credential)?;
        let Some(holder) = holder else { return Ok(document) };
        let unsigned = holder::bind_to_holder(&document, holder).map_err(Error::NotPossible)?;
        let (key, options) = self.assertion_signer(issuer, Cryptosuite::EddsaRdfc2022, now()).await?;
        issuance::secure(&unsigned, options, key)
            .await?
            .map_err(|e| Error::Internal(format!("cannot sign the wallet copy of {}: {e}", credential.id)))
    }

    /// The notification endpoint: records `credential_accepted` (the award counts as claimed),
    /// `credential_failure` or `credential_deleted` for a credential this token received.
    ///
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-notification-endpoint>
    pub async fn wallet_notification(&self, access_token: &str, body: &Value) -> Result<()> {
        let offer = self.offer_for_token(access_token).await?;
        let bad = |why: &str| oauth(ErrorCode::InvalidNotificationRequest, why);
        let Some(id) = body.get("notification_id").and_then(Value::as_str) else {
            return Err(bad("notification_id (a string) is required"));
        };
        let event = match body.get("event").and_then(Value::as_str) {
            Some(e) if NOTIFICATION_EVENTS.contains(&e) => e,
            Some(_) => return Err(bad("event must be credential_accepted, credential_failure or credential_deleted")),
            None => return Err(bad("event is required")),
        };
        let record = self.store.wallet_credential(id).await?;
        let Some(record) = record.filter(|r| r.offer_id == offer.offer_id) else {
            return Err(oauth(
                ErrorCode::InvalidNotificationId,
                "no credential of this token has that notification_id",
            ));
        };
        let at = now();
        let description: Option<String> =
            body.get("event_description").and_then(Value::as_str).map(|d| d.chars().take(300).collect());
        let credential = self.issued_credential(record.credential_id).await?;
        let reason = match description {
            Some(d) => format!("{event} (notification {id}): {d}"),
            None => format!("{event} (notification {id})"),
        };
        let subject = record.credential_id.to_string();
        let entry = audit(None, Some(credential.issuer_id), "credential.wallet_notification", &subject, Some(reason));
        self.store.set_wallet_event(id, event, unix_ms(at), &entry).await?;
        if event == "credential_accepted" {
            self.store.mark_claimed(record.credential_id, at).await?;
        }
        Ok(())
    }

    /// The VCALM interaction behind an open offer: the protocols a wallet may use. A used or expired
    /// offer finds nothing.
    ///
    /// See: <https://w3c.github.io/vcalm/#interaction-protocols-response>
    pub async fn interaction(&self, offer_id: &str) -> Result<Value> {
        let offer = self.open_offer(offer_id).await?;
        let mut protocols = serde_json::Map::new();
        if offer.tx_code_hash.is_none() {
            protocols.insert("vcapi".into(), self.urls.exchange(&offer.offer_id).into());
        }
        // Once a wallet fetched the OpenID4VCI offer, it is spent for other OpenID4VCI wallets.
        if offer.served_ms.is_none() {
            let offer_url = oid4vci::offer_url(&self.urls.credential_offer(&offer.offer_id));
            protocols.insert("oid4vci-1.0".into(), offer_url.clone().into());
            // The unversioned key VCALM deprecates, which wallets of the Digital Bazaar family still read.
            protocols.insert("OID4VCI".into(), offer_url.into());
        }
        Ok(json!({"protocols": protocols}))
    }

    /// An open offer a VC-API wallet may take: not one with a transaction code, which only OpenID4VCI can ask
    /// for (taking it by an exchange would skip the code).
    async fn open_exchange(&self, offer_id: &str) -> Result<WalletOffer> {
        let offer = self.open_offer(offer_id).await?;
        if offer.tx_code_hash.is_some() {
            return Err(Error::NotPossible(
                "this offer asks for a transaction code, which only OpenID4VCI wallets can give: use one of those"
                    .into(),
            ));
        }
        Ok(offer)
    }

    async fn open_offer(&self, offer_id: &str) -> Result<WalletOffer> {
        let offer = self.store.wallet_offer(offer_id).await?;
        offer
            .filter(|o| o.state(unix_ms(now())) == OfferState::Open)
            .ok_or_else(|| Error::NotFound { what: "wallet offer", id: offer_id.to_owned() })
    }

    /// The minted offer's addresses again, for the page that shows its QR code (while it is open).
    pub async fn minted_offer(&self, offer_id: &str) -> Result<MintedOffer> {
        let offer = self.open_offer(offer_id).await?;
        Ok(self.minted(&offer, None, crate::domain::wallet::at_ms(offer.expires_ms)))
    }

    /// One step of a VCALM exchange: `{}` answers the DIDAuthentication request; `{"verifiablePresentation":
    /// …}` signed by the holder with its challenge and domain answers the award bound to that holder, in a
    /// presentation.
    ///
    /// See: <https://w3c.github.io/vcalm/#participate-in-an-exchange>
    pub async fn exchange_step(&self, offer_id: &str, message: &Value) -> Result<Value> {
        let offer = self.open_exchange(offer_id).await?;
        let Some(message) = message.as_object() else {
            return Err(crate::domain::validation::ValidationErrors::single("body", "must be a JSON object").into());
        };
        match message.get("verifiablePresentation") {
            None => Ok(json!({"verifiablePresentationRequest": exchange::did_auth_request(
                &offer.challenge,
                &self.urls.credential_issuer(),
                &self.urls.exchange(&offer.offer_id),
            )})),
            Some(vp) => {
                let vp = match vp {
                    Value::Array(items) if items.len() == 1 => &items[0],
                    other => other,
                };
                let credential = self.issue_by_exchange(&offer, vp, true).await?;
                Ok(json!({"verifiablePresentation": exchange::presentation_of(&credential)}))
            }
        }
    }

    /// The DCC Learner Credential Wallet's deep-link request (`vc_request_url`): a bare DIDAuth presentation
    /// with the offer's challenge in, the bare credential out.
    ///
    /// See: <https://github.com/digitalcredentials/learner-credential-wallet-site/blob/main/request.html>
    pub async fn lcw_request(&self, offer_id: &str, vp: &Value) -> Result<Value> {
        let offer = self.open_exchange(offer_id).await?;
        self.issue_by_exchange(&offer, vp, false).await
    }

    /// Authenticates the holder of a DIDAuth presentation against the offer's challenge (and this issuer's
    /// domain when `domain_required`), and hands over the award bound to them, recording it in one
    /// transaction that also spends the offer.
    ///
    /// See: <https://w3c.github.io/vcalm/#the-did-authentication-response-format>
    async fn issue_by_exchange(&self, offer: &WalletOffer, vp: &Value, domain_required: bool) -> Result<Value> {
        let refused = |why: String| {
            Error::from(crate::domain::validation::ValidationErrors::single("verifiablePresentation", why))
        };
        let domain = self.urls.credential_issuer();
        // The LCW deep link's presentation carries no domain (its challenge alone ties it to this offer);
        // a domain it does carry must be ours.
        let has_domain = first_proof(vp).and_then(|p| p.get("domain")).is_some();
        let expected_domain = (domain_required || has_domain).then_some(domain.as_str());
        let holder = self.authenticate_holder(vp, Some(&offer.challenge), expected_domain).await.map_err(refused)?;
        let credential = self.issued_credential(offer.credential_id).await?;
        if let Some(reason) = not_issuable(&credential) {
            return Err(Error::NotPossible(format!("{reason}: it cannot be added to a wallet")));
        }
        let issuer = self.issuer_of(&credential).await?;
        let issued = self.bound_credential(&credential, &issuer, Some(&holder)).await?;
        let record = WalletCredential {
            notification_id: random_token(16),
            offer_id: offer.offer_id.clone(),
            credential_id: credential.id,
            holder: Some(holder.clone()),
            protocol: WalletProtocol::Vcapi,
            issued_ms: unix_ms(now()),
            event: None,
            event_ms: None,
        };
        let reason = format!("VCALM exchange, bound to {holder}");
        let entry = audit(
            None,
            Some(credential.issuer_id),
            "credential.wallet_issue",
            &credential.id.to_string(),
            Some(reason),
        );
        if !self.store.finish_exchange(&record, &entry).await? {
            return Err(Error::NotFound { what: "wallet offer", id: offer.offer_id.clone() });
        }
        metrics::counter!("microcred_wallet_credentials_total", "protocol" => "vcapi").increment(1);
        Ok(issued)
    }

    /// Every wallet copy of an award (for the assessors' view).
    pub async fn wallet_copies(&self, id: CredentialId) -> Result<Vec<WalletCredential>> {
        Ok(self.store.wallet_credentials(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_codes_are_six_digits() {
        for _ in 0..100 {
            let code = random_digits(TX_CODE_DIGITS);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
