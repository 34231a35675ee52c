//! The learner's space: every credential issued to one e-mail address, behind a one-time sign-in link.
//!
//! Credentials are found by a salted hash of the address (`recipient_lookup`), the salt a random secret
//! of the deployment kept in its database. A sign-in link carries a random token that is stored only as
//! its SHA-256, works once and for 15 minutes; it opens a session whose cookie is likewise stored hashed.
//! Asking for a link answers the same whether or not the address holds credentials, and the e-mail
//! leaves in the background, so neither the answer nor its timing tells.

use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::{Microcred, now};
use crate::certificate::Labels;
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::issuer::Email;
use crate::error::{Error, Result};
use crate::mail::compose::{self, Envelope};
use crate::store::{LearnerToken, unix_ms};

/// How long a sign-in link works.
pub const SIGN_IN_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a learner stays signed in.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Sign-in links one address may be sent per hour.
pub const LINKS_PER_HOUR: u32 = 5;

/// A signed-in learner.
#[derive(Debug, Clone)]
pub struct Learner {
    /// The address they signed in with.
    pub email: String,
    /// Their look-up hash.
    lookup: [u8; 32],
    /// A token that state-changing forms of this session carry (CSRF).
    pub csrf: String,
}

impl Learner {
    /// Whether `credential` was issued to this learner's address.
    pub(super) fn holds(&self, credential: &IssuedCredential) -> bool {
        credential.recipient_lookup.is_some_and(|lookup| bool::from(lookup.ct_eq(&self.lookup)))
    }
}

/// What a sign-in request did (the page says the same in both cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRequest {
    /// A link was sent, or the address holds no credential (nothing was sent; the answer is the same).
    Accepted,
    /// Too many links were asked for this address in the last hour.
    TooMany,
}

impl Microcred {
    /// The deployment's secret salt, made by the first process that needs it and shared through the
    /// database by every replica.
    pub(super) async fn salt(&self) -> Result<[u8; 32]> {
        let secret = self
            .salt
            .get_or_try_init(|| async {
                let candidate = random_bytes();
                let stored = self.store.deployment_secret("recipient_lookup", &candidate).await?;
                <[u8; 32]>::try_from(stored.as_slice())
                    .map_err(|_| Error::Internal("the stored look-up secret is not 32 bytes".into()))
            })
            .await?;
        Ok(*secret)
    }

    /// The look-up hash of a (lower-cased) address.
    pub(super) async fn recipient_lookup(&self, email: &str) -> Result<[u8; 32]> {
        let salt = self.salt().await?;
        Ok(digest(&[b"microcred recipient lookup", &salt, email.trim().to_lowercase().as_bytes()]))
    }

    /// The token in the links a learner gets (e-mail, space) that marks a credential claimed when opened:
    /// 32 hexadecimal digits nobody without the deployment's secret can compute.
    pub(super) async fn claim_token(&self, id: CredentialId) -> Result<String> {
        let salt = self.salt().await?;
        Ok(hex(&digest(&[b"microcred claim", &salt, id.0.as_bytes()])[..16]))
    }

    /// Marks a credential claimed if `token` is its claim token (opened from the learner's e-mail or
    /// space); anything else is ignored.
    pub async fn claim(&self, id: CredentialId, token: &str) -> Result<()> {
        let expected = self.claim_token(id).await?;
        if bool::from(expected.as_bytes().ct_eq(token.as_bytes())) && self.store.mark_claimed(id, now()).await? {
            tracing::info!(credential.id = %id, "the learner claimed credential {id}");
        }
        Ok(())
    }

    /// Fills in look-up hashes of awards stored before they existed (a first start after upgrading).
    pub async fn backfill_lookups(&self) -> Result<u64> {
        let mut done = 0;
        loop {
            let missing = self.store.credentials_missing_lookup(1_000).await?;
            if missing.is_empty() {
                return Ok(done);
            }
            let mut lookups = Vec::with_capacity(missing.len());
            for (id, email) in &missing {
                lookups.push((*id, self.recipient_lookup(email).await?));
            }
            self.store.set_recipient_lookups(&lookups).await?;
            done += lookups.len() as u64;
        }
    }

    /// `POST /me/sign-in`: e-mails a one-time link to `email` if it holds credentials here. `link_base` is
    /// the address the token is appended to. Refuses an address that is not one (a client mistake).
    pub async fn request_sign_in(&self, email: &str, labels: &'static Labels) -> Result<SignInRequest> {
        let email: Email = email.trim().to_lowercase().parse().map_err(|e: crate::domain::issuer::InvalidEmail| {
            crate::domain::validation::ValidationErrors::single("email", e.to_string())
        })?;
        let lookup = self.recipient_lookup(email.as_str()).await?;
        let at = unix_ms(now());
        let ttl = i64::try_from(SIGN_IN_TTL.as_millis()).unwrap_or(i64::MAX);
        // Tokens made in the last hour are still valid 45 minutes after the hour began.
        if self.store.recent_sign_in_tokens(&lookup, at - 3_600_000 + ttl).await? >= LINKS_PER_HOUR {
            return Ok(SignInRequest::TooMany);
        }
        // A token is stored for any address, holder or not, so the per-address limit and the database work
        // are the same either way and neither tells whether the address holds credentials.
        let token = random_bytes();
        let record = LearnerToken {
            hash: digest(&[&token]),
            recipient_lookup: lookup,
            email: email.as_str().to_owned(),
            expires_ms: at + ttl,
        };
        self.store.insert_sign_in_token(&record).await?;
        if self.store.latest_issuer_of(&lookup).await?.is_none() {
            return Ok(SignInRequest::Accepted);
        }
        let Some(setup) = self.mail.clone() else {
            tracing::warn!("a learner asked to sign in, but this process sends no e-mail");
            return Ok(SignInRequest::Accepted);
        };
        let link = format!("{}me/sign-in/{}?lang={}", self.urls.base(), hex(&token), labels.lang);
        // From the deployment, with no reply address: the space holds every issuer's credentials, so no one
        // issuer should receive a reply quoting the link.
        let envelope = Envelope { from: setup.from.clone(), reply_to: None, to: email.as_str().to_owned() };
        tokio::spawn(async move {
            // A temporary failure is tried again twice, within the link's 15 minutes.
            for wait in [0, 5, 30] {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                let sent = match compose::sign_in(&envelope, labels, &link) {
                    Ok(message) => setup.mailer.send(message).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(()) => return,
                    // The link is a secret: never logged.
                    Err(crate::domain::delivery::SendFailure::Temporary(e)) => {
                        tracing::warn!("a sign-in e-mail could not be sent yet: {e}");
                    }
                    Err(crate::domain::delivery::SendFailure::Permanent(e)) => {
                        tracing::warn!("a sign-in e-mail could not be sent: {e}");
                        return;
                    }
                }
            }
        });
        Ok(SignInRequest::Accepted)
    }

    /// `GET /me/sign-in/{token}`: uses the link once and opens a session; returns the session cookie's
    /// value and the learner, or `None` for an unknown, used or expired link.
    pub async fn sign_in(&self, token_hex: &str) -> Result<Option<(String, Learner)>> {
        let Some(token) = unhex(token_hex) else { return Ok(None) };
        let Some(redeemed) = self.store.redeem_sign_in_token(&digest(&[&token]), unix_ms(now())).await? else {
            return Ok(None);
        };
        let secret = random_bytes();
        let session = LearnerToken {
            hash: digest(&[&secret]),
            recipient_lookup: redeemed.recipient_lookup,
            email: redeemed.email,
            expires_ms: unix_ms(now()) + i64::try_from(SESSION_TTL.as_millis()).unwrap_or(0),
        };
        self.store.insert_learner_session(&session).await?;
        let cookie = hex(&secret);
        let learner = self.learner_of(&session, &cookie);
        Ok(Some((cookie, learner)))
    }

    /// The learner whose session cookie is `cookie`, if it is valid.
    pub async fn learner(&self, cookie: &str) -> Result<Option<Learner>> {
        let Some(secret) = unhex(cookie) else { return Ok(None) };
        let session = self.store.learner_session(&digest(&[&secret]), unix_ms(now())).await?;
        Ok(session.map(|s| self.learner_of(&s, cookie)))
    }

    fn learner_of(&self, session: &LearnerToken, cookie: &str) -> Learner {
        Learner {
            email: session.email.clone(),
            lookup: session.recipient_lookup,
            csrf: hex(&digest(&[b"microcred csrf", cookie.as_bytes()])[..16]),
        }
    }

    /// Ends the session of `cookie`.
    pub async fn sign_out(&self, cookie: &str) -> Result<()> {
        if let Some(secret) = unhex(cookie) {
            self.store.delete_learner_session(&digest(&[&secret])).await?;
        }
        Ok(())
    }

    /// Every credential issued to the learner, each with its claim token for links: the current ones newest
    /// first, each with the earlier versions it renews or corrects (newest first).
    pub async fn learner_credentials(&self, learner: &Learner) -> Result<Vec<(Held, Vec<Held>)>> {
        let mut out = Vec::new();
        for credential in self.store.credentials_by_lookup(&learner.lookup).await? {
            let claim = self.claim_token(credential.id).await?;
            out.push((credential, claim));
        }
        Ok(crate::domain::lifecycle::group_versions(out, |(c, _)| c))
    }
}

/// A credential in the learner's space, with its claim token.
pub type Held = (IssuedCredential, String);

pub(super) fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_and_malformed_ones_are_refused() {
        let bytes = random_bytes();
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"é".repeat(32)), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
    }
}
