//! Assessor and admin API keys: random 256-bit bearer tokens of which only a hash is stored.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use super::issuer::IssuerId;

/// Database identity of an API key; also the public first half of its token, so lookups need no scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ApiKeyId(pub Uuid);

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages issuers, keys and API keys of the whole deployment.
    Admin,
    /// Issues, revokes and suspends credentials of its own issuer.
    Assessor,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Assessor => "assessor",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "assessor" => Ok(Self::Assessor),
            other => Err(format!("unknown role {other:?} (expected \"admin\" or \"assessor\")")),
        }
    }
}

/// An API key as stored (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Identity, also the token's prefix.
    pub id: ApiKeyId,
    /// The issuer the key acts for (an admin key acts for every issuer).
    pub issuer_id: IssuerId,
    /// What it may do.
    pub role: Role,
    /// A label for people ("Maria's laptop", "LMS integration").
    pub name: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// SHA-256 of a token's secret part. A fast hash is enough: the secret is 256 random bits, so there is
/// nothing to brute-force, unlike a password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl SecretHash {
    /// Constant-time comparison, so response timing reveals nothing about a stored hash.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// A bearer token: `mc_<key id as 32 hex digits>_<43 base64url characters of secret>`.
///
/// The `mc_` prefix lets secret scanners recognise leaked tokens. `Debug` never shows the secret.
pub struct ApiToken {
    id: ApiKeyId,
    secret: [u8; 32],
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiToken({}, <redacted>)", self.id)
    }
}

/// Why a presented token was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed API token")]
pub struct MalformedToken;

impl ApiToken {
    /// A new random token.
    pub fn generate() -> Self {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        Self { id: ApiKeyId(Uuid::new_v4()), secret }
    }

    /// Parses a presented token.
    pub fn parse(token: &str) -> Result<Self, MalformedToken> {
        let rest = token.strip_prefix("mc_").ok_or(MalformedToken)?;
        let (id, secret) = rest.split_once('_').ok_or(MalformedToken)?;
        if id.len() != 32 {
            return Err(MalformedToken);
        }
        let id = Uuid::try_parse(id).map_err(|_| MalformedToken)?;
        let bytes = URL_SAFE_NO_PAD.decode(secret).map_err(|_| MalformedToken)?;
        let secret: [u8; 32] = bytes.try_into().map_err(|_| MalformedToken)?;
        Ok(Self { id: ApiKeyId(id), secret })
    }

    /// The key this token belongs to.
    pub fn id(&self) -> ApiKeyId {
        self.id
    }

    /// The hash stored for this token.
    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.secret).into())
    }

    /// The token text, to show once to its owner.
    pub fn reveal(&self) -> String {
        format!("mc_{}_{}", self.id.0.simple(), URL_SAFE_NO_PAD.encode(self.secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_parses_back_to_the_same_key_and_hash() {
        let token = ApiToken::generate();
        let text = token.reveal();
        assert!(text.starts_with("mc_"));
        assert_eq!(text.len(), 3 + 32 + 1 + 43);
        let parsed = ApiToken::parse(&text).unwrap();
        assert_eq!(parsed.id(), token.id());
        assert!(parsed.hash().matches(&token.hash()));
    }

    #[test]
    fn tampered_or_malformed_tokens_do_not_parse_or_match() {
        let token = ApiToken::generate();
        let text = token.reveal();
        for bad in ["", "mc_", "Bearer x", &text[..text.len() - 1], &text.replace("mc_", "xx_")] {
            assert!(ApiToken::parse(bad).is_err(), "{bad}");
        }
        let mut other = text.clone().into_bytes();
        let last = other.len() - 2;
        other[last] = if other[last] == b'A' { b'B' } else { b'A' };
        let other = ApiToken::parse(std::str::from_utf8(&other).unwrap()).unwrap();
        assert!(!other.hash().matches(&token.hash()));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = ApiToken::generate();
        let text = token.reveal();
        let secret_part = &text[36..];
        assert!(!format!("{token:?}").contains(secret_part));
    }
}
