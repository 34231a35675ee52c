//! Learners' downloads: the signed credential, the PDF certificate and the baked badge of an issued credential.
//!
//! All are made from the stored, signed document alone (the printed facts are the credential's), and are
//! deterministic, so each has an `ETag` computed before any rendering: a conditional request costs one
//! database read. Rendering is CPU work and runs off the async workers.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Microcred;
pub use super::verification::{FileError, FileKind, FileReport};
use crate::certificate::{self, FontChain, Labels, Paper, Template, badge};
use crate::domain::achievement::AchievementSpec;
use crate::domain::award::CredentialId;
use crate::domain::image::{Image, ImageType};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};

/// What a download is: the signed JSON as stored, a certificate or a badge.
#[derive(Debug, Clone)]
enum Kind {
    Json,
    Pdf {
        template: Template,
        labels: &'static Labels,
        paper: Paper,
        fonts: std::sync::Arc<FontChain>,
    },
    /// A baked badge in this format.
    Badge(ImageType),
}

/// A download ready to render: its validator and file name are known without rendering it.
#[derive(Debug, Clone)]
pub struct PreparedDownload {
    /// Strong `ETag` (quoted): a digest of everything the bytes depend on.
    pub etag: String,
    /// Suggested file name.
    pub file_name: String,
    /// Media type.
    pub content_type: &'static str,
    /// Whether browsers should save it (`Content-Disposition: attachment`) rather than show it.
    pub attachment: bool,
    document: String,
    kind: Kind,
    /// The image the file draws, as the credential names it: the issuer's logo on a certificate, the
    /// achievement's image in a badge. Loaded only when the file is rendered, so a 304 costs no image read.
    image: Option<String>,
}

impl PreparedDownload {
    /// Renders it with its image, if loaded (CPU-bound: call from a blocking thread). A badge uses the image
    /// only in its own format (else the generated seal).
    fn render(&self, image: Option<&Image>) -> Result<Vec<u8>> {
        let drawn = |format: ImageType| image.filter(|i| i.kind == format).map(|i| i.content.as_slice());
        match &self.kind {
            Kind::Json => Ok(self.document.clone().into_bytes()),
            Kind::Pdf { template, labels, paper, fonts } => {
                crate::metrics::timed("microcred_pdf_render_seconds", || {
                    let logo = image.map(|i| i.content.as_slice());
                    certificate::render_pdf_with(&self.document, template, labels, *paper, fonts, logo)
                })
            }
            .map_err(|e| Error::Internal(e.to_string())),
            Kind::Badge(ImageType::Png) => {
                badge::bake(drawn(ImageType::Png), &self.document).map_err(|e| Error::Internal(e.to_string()))
            }
            Kind::Badge(ImageType::Svg) => {
                let svg = drawn(ImageType::Svg).and_then(|bytes| std::str::from_utf8(bytes).ok());
                badge::bake_svg(svg, &self.document).map_err(|e| Error::Internal(e.to_string()))
            }
        }
    }

    /// Loads its image from `app` and renders it on tokio's blocking pool, so concurrent downloads never
    /// stall other requests.
    pub async fn render_blocking(self, app: &Microcred) -> Result<Vec<u8>> {
        if matches!(self.kind, Kind::Json) {
            return self.render(None);
        }
        let image = match &self.image {
            Some(url) => app.named_image(url).await?,
            None => None,
        };
        tokio::task::spawn_blocking(move || self.render(image.as_ref()))
            .await
            .map_err(|e| Error::Internal(format!("rendering was interrupted: {e}")))?
    }
}

/// A strong entity tag (`"<32 hex digits>"`) for bytes made from `parts`: the first 128 bits of SHA-256
/// over each part with its length, so different parts cannot run into each other.
fn etag(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    format!("\"{}\"", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl Microcred {
    /// Refuses an achievement that names a certificate template this deployment does not have.
    pub(super) fn check_template(&self, spec: &AchievementSpec) -> Result<()> {
        match &spec.certificate_template {
            Some(name) if self.templates.get(name).is_none() => Err(ValidationErrors::single(
                "certificate_template",
                format!(
                    "no template named {name:?}; available: {}",
                    self.templates.names().collect::<Vec<_>>().join(", ")
                ),
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// The certificate of a credential: in `lang` if asked (and supported), else in the language chosen at
    /// award time, else in the achievement's language, else in English; on the achievement's template.
    pub async fn certificate(&self, id: CredentialId, lang: Option<&str>, paper: Paper) -> Result<PreparedDownload> {
        let credential = self.issued_credential(id).await?;
        let document = credential.document.get().to_owned();
        let value: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
        let achievement_language =
            value.pointer("/credentialSubject/achievement/inLanguage").and_then(Value::as_str).map(str::to_owned);
        let labels = [lang.map(str::to_owned), credential.language.clone(), achievement_language]
            .into_iter()
            .flatten()
            .find(|tag| Labels::supports(tag))
            .map_or_else(|| Labels::for_tag("en"), |tag| Labels::for_tag(&tag));
        let wanted = match credential.achievement_id {
            Some(achievement) => self.store.achievement(achievement).await?.and_then(|a| a.spec.certificate_template),
            None => None,
        };
        let template = wanted
            .and_then(|name| self.templates.get(&name).cloned())
            .unwrap_or_else(|| self.templates.default_template().clone());
        let paper_name = format!("{paper:?}");
        // Which fonts print it: a font added to (or removed from) the chain can change the bytes.
        let fonts: Vec<u8> =
            self.fonts.files().flat_map(|p| p.as_os_str().as_encoded_bytes().iter().chain(b"\n")).copied().collect();
        Ok(PreparedDownload {
            etag: etag(&[
                b"pdf",
                env!("CARGO_PKG_VERSION").as_bytes(),
                document.as_bytes(),
                template.fingerprint.as_bytes(),
                labels.lang.as_bytes(),
                paper_name.as_bytes(),
                &fonts,
            ]),
            file_name: format!("certificate-{id}.pdf"),
            content_type: "application/pdf",
            attachment: false,
            document,
            kind: Kind::Pdf { template, labels, paper, fonts: std::sync::Arc::clone(&self.fonts) },
            image: value.pointer("/issuer/image/id").and_then(Value::as_str).map(str::to_owned),
        })
    }

    /// The signed credential as issued (`application/vc+ld+json`), byte for byte as stored.
    pub async fn signed_credential(&self, id: CredentialId) -> Result<PreparedDownload> {
        let document = self.issued_credential(id).await?.document.get().to_owned();
        Ok(PreparedDownload {
            etag: etag(&[b"json", document.as_bytes()]),
            file_name: format!("credential-{id}.json"),
            content_type: "application/vc+ld+json",
            attachment: true,
            document,
            kind: Kind::Json,
            image: None,
        })
    }

    /// The Open Badges 3.0 baked badge of a credential, as a PNG or an SVG: the achievement's image when it
    /// has one in that format (ours or a `data:` URL), else the generated seal.
    pub async fn badge(&self, id: CredentialId, format: ImageType) -> Result<PreparedDownload> {
        let credential = self.issued_credential(id).await?;
        let document = credential.document.get().to_owned();
        let value: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
        Ok(PreparedDownload {
            etag: etag(&[format.extension().as_bytes(), env!("CARGO_PKG_VERSION").as_bytes(), document.as_bytes()]),
            file_name: format!("badge-{id}.{}", format.extension()),
            content_type: format.media_type(),
            attachment: false,
            document,
            kind: Kind::Badge(format),
            image: value.pointer("/credentialSubject/achievement/image/id").and_then(Value::as_str).map(str::to_owned),
        })
    }
}
