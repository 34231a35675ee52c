//! How the API shows a credential: its summary (listings, the CSV export) and its full view with the
//! signed document.

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::achievement::AchievementId;
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::delivery::Delivery;
use crate::domain::public_urls::{Download, PublicUrls};

/// Where a credential can be seen and downloaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Links {
    page: String,
    json: String,
    pdf: String,
    png: String,
    /// The baked badge as an SVG.
    svg: String,
}

/// A credential as the API lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CredentialSummary {
    id: CredentialId,
    /// `null` for a credential issued through the VC-API.
    achievement_id: Option<AchievementId>,
    /// `null` for a credential issued through the VC-API.
    recipient: Option<Recipient>,
    /// The credential's own `id`, when a VC-API caller chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    /// `active`, `suspended`, `revoked`, `superseded` (renewed), or `expired` once `valid_until` has passed.
    #[schema(value_type = String, pattern = "^(active|suspended|revoked|superseded|expired)$")]
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    valid_until: Option<OffsetDateTime>,
    /// A suspension's deadline: withdrawn (revoked) then unless reinstated.
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    suspended_until: Option<OffsetDateTime>,
    /// The renewal that supersedes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    superseded_by: Option<CredentialId>,
    /// The corrected credential that replaced it (it is revoked).
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_by: Option<CredentialId>,
    links: Links,
}

/// The learner an award names.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recipient {
    name: String,
    email: String,
}

/// A credential with its signed document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CredentialView {
    #[serde(flatten)]
    summary: CredentialSummary,
    /// The signed `OpenBadgeCredential`, as issued.
    #[schema(value_type = Object)]
    credential: Box<serde_json::value::RawValue>,
    /// Its e-mail to the learner (`GET` only; absent for a credential that names no address).
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<Delivery>,
    /// Its copies in learners' wallets (`GET` only): holder DID, protocol, when, and the wallet's last
    /// notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    wallets: Option<Vec<WalletCopy>>,
}

/// A copy of a credential in a learner's wallet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WalletCopy {
    /// The holder's DID the copy is bound to (`credentialSubject.id`); absent for a bearer copy.
    holder: Option<String>,
    /// `oid4vci` or `vcapi`.
    protocol: crate::domain::wallet::WalletProtocol,
    /// When the wallet received it.
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    /// The wallet's last notification: `credential_accepted`, `credential_failure` or `credential_deleted`.
    event: Option<String>,
    /// When the wallet sent it.
    #[serde(with = "time::serde::rfc3339::option")]
    event_at: Option<OffsetDateTime>,
}

impl From<crate::domain::wallet::WalletCredential> for WalletCopy {
    fn from(w: crate::domain::wallet::WalletCredential) -> Self {
        let at = crate::domain::wallet::at_ms;
        WalletCopy {
            holder: w.holder,
            protocol: w.protocol,
            issued_at: at(w.issued_ms),
            event: w.event,
            event_at: w.event_ms.map(at),
        }
    }
}

impl CredentialSummary {
    /// The summary of `c`, with its public links.
    pub(super) fn new(urls: &PublicUrls, c: &IssuedCredential) -> Self {
        CredentialSummary {
            id: c.id,
            achievement_id: c.achievement_id,
            recipient: c
                .recipient_name
                .clone()
                .zip(c.recipient_email.clone())
                .map(|(name, email)| Recipient { name, email }),
            external_id: c.external_id.clone(),
            status: c.status_at(OffsetDateTime::now_utc()),
            issued_at: c.issued_at,
            valid_until: c.valid_until,
            suspended_until: c.suspended_until,
            superseded_by: c.superseded_by,
            replaced_by: c.replaced_by,
            links: Links {
                page: urls.credential(c.id),
                json: urls.credential_download(c.id, Download::Json),
                pdf: urls.credential_download(c.id, Download::Pdf),
                png: urls.credential_download(c.id, Download::Png),
                svg: urls.credential_download(c.id, Download::Svg),
            },
        }
    }
}

impl CredentialView {
    /// The full view of `c`.
    pub(super) fn new(urls: &PublicUrls, c: IssuedCredential) -> Self {
        CredentialView {
            summary: CredentialSummary::new(urls, &c),
            credential: c.document,
            delivery: None,
            wallets: None,
        }
    }

    /// The view with the credential's delivery.
    pub(super) fn with_delivery(self, delivery: Option<Delivery>) -> Self {
        CredentialView { delivery, ..self }
    }

    /// The view with the credential's wallet copies.
    pub(super) fn with_wallets(self, wallets: Vec<crate::domain::wallet::WalletCredential>) -> Self {
        CredentialView { wallets: Some(wallets.into_iter().map(WalletCopy::from).collect()), ..self }
    }
}
