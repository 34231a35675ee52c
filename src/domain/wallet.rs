//! "Add to wallet": offers of an award to a wallet and what wallets did with them, as stored. Pure types
//! and rules; the protocols are in `vc/oid4vci.rs` and `service/wallet.rs`.

use super::award::CredentialId;

/// How many wrong transaction codes an offer takes before it is withdrawn: a 6-digit code has a million
/// values, so five guesses leave a 1 in 200,000 chance. (OpenID4VCI 1.0's errata add the rule, §13.6.3
/// "Transaction Code Guessing": limit the attempts, then invalidate the code.)
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-pre-authorized-code-flow>
pub const MAX_TX_CODE_FAILURES: i64 = 5;

/// The protocol a wallet used to receive a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WalletProtocol {
    /// OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.
    Oid4vci,
    /// A W3C VCALM (VC-API) exchange with DIDAuthentication.
    Vcapi,
}

impl WalletProtocol {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oid4vci => "oid4vci",
            Self::Vcapi => "vcapi",
        }
    }

    /// The protocol a stored name means.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "oid4vci" => Some(Self::Oid4vci),
            "vcapi" => Some(Self::Vcapi),
            _ => None,
        }
    }
}

/// One "Add to wallet": a short-lived, single-use offer of one award, reachable through OpenID4VCI (its
/// pre-authorized code) or a VCALM exchange (its challenge), whichever a wallet uses first. Secrets the
/// holder presents are stored as SHA-256 hashes. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletOffer {
    /// Public: in the offer URI, the interaction URL and the exchange URL.
    pub offer_id: String,
    /// The award offered.
    pub credential_id: CredentialId,
    /// The pre-authorized code, kept until it is exchanged for a token (the offer URI hands it out once).
    pub code: Option<String>,
    /// SHA-256 of the pre-authorized code.
    pub code_hash: [u8; 32],
    /// SHA-256 of the transaction code, when the offer asks for one.
    pub tx_code_hash: Option<[u8; 32]>,
    /// Wrong transaction codes so far.
    pub tx_code_failures: i64,
    /// The VCALM exchange's DIDAuthentication challenge.
    pub challenge: String,
    /// `learner`, or the id of the API key that minted it.
    pub created_by: String,
    /// When it was minted.
    pub created_ms: i64,
    /// When it stops working if unused.
    pub expires_ms: i64,
    /// When the offer URI handed out the code.
    pub served_ms: Option<i64>,
    /// When a wallet used it (token issued or exchange finished).
    pub redeemed_ms: Option<i64>,
    /// Which protocol used it.
    pub protocol: Option<WalletProtocol>,
    /// SHA-256 of the access token issued for it (OpenID4VCI).
    pub token_hash: Option<[u8; 32]>,
    /// When that access token expires.
    pub token_expires_ms: Option<i64>,
}

/// Where an offer stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferState {
    /// Usable.
    Open,
    /// Used by a wallet already.
    Redeemed,
    /// Past its time, or withdrawn after too many wrong transaction codes.
    Expired,
}

impl WalletOffer {
    /// Its state at `now_ms`.
    pub fn state(&self, now_ms: i64) -> OfferState {
        if self.redeemed_ms.is_some() {
            OfferState::Redeemed
        } else if now_ms >= self.expires_ms || self.tx_code_failures >= MAX_TX_CODE_FAILURES {
            OfferState::Expired
        } else {
            OfferState::Open
        }
    }
}

/// A credential handed to a wallet, and the last event the wallet notified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletCredential {
    /// The `notification_id` the wallet was given (OpenID4VCI) or a random one (VCALM).
    pub notification_id: String,
    /// The offer it came through.
    pub offer_id: String,
    /// The award.
    pub credential_id: CredentialId,
    /// The holder's DID it is bound to (`credentialSubject.id`); none for a bearer credential.
    pub holder: Option<String>,
    /// How it went to the wallet.
    pub protocol: WalletProtocol,
    /// When, Unix ms.
    pub issued_ms: i64,
    /// The wallet's last notification: `credential_accepted`, `credential_failure` or `credential_deleted`.
    pub event: Option<String>,
    /// When the wallet sent it, Unix ms.
    pub event_ms: Option<i64>,
}

/// The moment of a stored Unix-millisecond time (the epoch for one out of range, which microcred never
/// writes).
pub fn at_ms(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The notification events OpenID4VCI defines.
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-notification-request>
pub const NOTIFICATION_EVENTS: [&str; 3] = ["credential_accepted", "credential_failure", "credential_deleted"];

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> WalletOffer {
        WalletOffer {
            offer_id: "o".into(),
            credential_id: CredentialId(uuid::Uuid::nil()),
            code: Some("c".into()),
            code_hash: [0; 32],
            tx_code_hash: None,
            tx_code_failures: 0,
            challenge: "ch".into(),
            created_by: "learner".into(),
            created_ms: 0,
            expires_ms: 1_000,
            served_ms: None,
            redeemed_ms: None,
            protocol: None,
            token_hash: None,
            token_expires_ms: None,
        }
    }

    #[test]
    fn an_offer_is_open_until_it_expires_is_used_or_is_guessed_at_too_often() {
        assert_eq!(offer().state(999), OfferState::Open);
        assert_eq!(offer().state(1_000), OfferState::Expired);
        assert_eq!(WalletOffer { redeemed_ms: Some(5), ..offer() }.state(10), OfferState::Redeemed);
        assert_eq!(WalletOffer { tx_code_failures: MAX_TX_CODE_FAILURES, ..offer() }.state(10), OfferState::Expired);
    }
}
