//! Learners' downloads: the PDF certificate and the baked badge of an issued credential.
//!
//! Both are made from the stored, signed document alone (the printed facts are the credential's), and are
//! deterministic, so each has an `ETag` computed before any rendering: a conditional request costs one
//! database read. Rendering is CPU work and runs off the async workers.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Microcred;
use crate::certificate::{self, FontChain, Labels, Paper, Template, badge};
use crate::domain::achievement::AchievementSpec;
use crate::domain::award::CredentialId;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::vc::verify::{Outcome, ReportProblem};
use uuid::Uuid;

/// What a download is: `Pdf` or `Png`.
#[derive(Debug, Clone)]
enum Kind {
    Pdf { template: Template, labels: &'static Labels, paper: Paper, fonts: std::sync::Arc<FontChain> },
    Png { image: Option<String> },
}

/// A download ready to render: its validator and file name are known without rendering it.
#[derive(Debug, Clone)]
pub struct Download {
    /// Strong `ETag` (quoted): a digest of everything the bytes depend on.
    pub etag: String,
    /// Suggested file name.
    pub file_name: String,
    /// Media type.
    pub content_type: &'static str,
    document: String,
    kind: Kind,
}

impl Download {
    /// Renders it (CPU-bound: call from a blocking thread).
    pub fn render(&self) -> Result<Vec<u8>> {
        match &self.kind {
            Kind::Pdf { template, labels, paper, fonts } => {
                crate::metrics::timed("microcred_pdf_render_seconds", || {
                    certificate::render_pdf_with(&self.document, template, labels, *paper, fonts)
                })
            }
            .map_err(|e| Error::Internal(e.to_string())),
            Kind::Png { image } => {
                badge::bake(image.as_deref(), &self.document).map_err(|e| Error::Internal(e.to_string()))
            }
        }
    }

    /// Renders it on tokio's blocking pool, so concurrent downloads never stall other requests.
    pub async fn render_blocking(self) -> Result<Vec<u8>> {
        tokio::task::spawn_blocking(move || self.render())
            .await
            .map_err(|e| Error::Internal(format!("rendering was interrupted: {e}")))?
    }
}

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
    pub async fn certificate(&self, id: CredentialId, lang: Option<&str>, paper: Paper) -> Result<Download> {
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
        Ok(Download {
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
            document,
            kind: Kind::Pdf { template, labels, paper, fonts: std::sync::Arc::clone(&self.fonts) },
        })
    }

    /// The Open Badges 3.0 baked badge of a credential.
    pub async fn badge(&self, id: CredentialId) -> Result<Download> {
        let credential = self.issued_credential(id).await?;
        let document = credential.document.get().to_owned();
        let value: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
        let image = value.pointer("/credentialSubject/achievement/image/id").and_then(Value::as_str).map(str::to_owned);
        Ok(Download {
            etag: etag(&[b"png", env!("CARGO_PKG_VERSION").as_bytes(), document.as_bytes()]),
            file_name: format!("badge-{id}.png"),
            content_type: "image/png",
            document,
            kind: Kind::Png { image },
        })
    }
}

/// What kind of file was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A credential (JSON).
    Json,
    /// A certificate PDF with its embedded credential.
    Pdf,
    /// A baked Open Badges PNG.
    Png,
}

/// The verification of a file: the credential's report, and for a PDF whether its printed facts match.
#[derive(Debug, serde::Serialize)]
pub struct FileReport {
    /// What the file was.
    pub kind: FileKind,
    /// `true` when the credential verifies and, for a PDF, the page shows its facts.
    pub verified: bool,
    /// The credential's verification report.
    pub report: crate::vc::verify::VerificationReport,
    /// For a PDF: the credential's facts the printed page does not show (empty: they all match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printed_mismatches: Option<Vec<certificate::Mismatch>>,
    /// The credential that was checked.
    pub credential: Value,
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Neither JSON, nor a PDF with an embedded credential, nor a baked PNG.
    #[error("{0}")]
    Unreadable(String),
    /// The credential could not be checked (a key that cannot be resolved…).
    #[error(transparent)]
    Verify(#[from] crate::vc::verify::VerifyError),
}

impl Microcred {
    /// Verifies a credential file of any kind microcred hands out (JSON, certificate PDF, baked PNG),
    /// recognised by its content, not its name.
    pub async fn verify_file(&self, bytes: &[u8]) -> std::result::Result<FileReport, FileError> {
        let unreadable = |e: &dyn std::fmt::Display| FileError::Unreadable(e.to_string());
        let (kind, credential, printed) = if bytes.starts_with(b"%PDF-") {
            let (credential, text) = match certificate::extract::read_pdf(bytes) {
                Ok(contents) => {
                    let credential: Value = serde_json::from_slice(&contents.credential)
                        .map_err(|e| unreadable(&format!("the embedded credential is not JSON ({e})")))?;
                    (credential, contents.text)
                }
                // A certificate whose attachment was removed (or a print scanned back): the credential its
                // printed URL names, when it is one of ours.
                Err(certificate::extract::ExtractError::NoCredential) => {
                    let text = certificate::extract::read_pdf_text(bytes).map_err(|e| unreadable(&e))?;
                    (self.printed_credential(&text).await.ok_or_else(|| unreadable(&NO_CREDENTIAL))?, text)
                }
                Err(e) => return Err(unreadable(&e)),
            };
            let mismatches = certificate::printed_mismatches(&text, &credential);
            (FileKind::Pdf, credential, Some(mismatches))
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            let text = badge::extract(bytes).map_err(|e| unreadable(&e))?;
            let credential: Value = serde_json::from_str(&text)
                .map_err(|e| unreadable(&format!("the baked credential is not JSON ({e})")))?;
            (FileKind::Png, credential, None)
        } else {
            let credential: Value = serde_json::from_slice(bytes)
                .map_err(|e| unreadable(&format!("not JSON ({e}), nor a certificate PDF or a baked badge PNG")))?;
            (FileKind::Json, credential, None)
        };
        let mut report = self.verify(&credential).await?;
        if let Some(mismatches) = printed.as_ref().filter(|m| !m.is_empty()) {
            // The certificate in hand says something its credential does not: altered, whatever the
            // credential's own verdict (a forged credential stays "invalid").
            if report.outcome != Outcome::Invalid {
                report.outcome = Outcome::Altered;
            }
            report.verified = false;
            report.errors.push(ReportProblem {
                kind: format!("{}problems/altered-certificate", self.public_url()),
                title: "The printed certificate was altered".into(),
                detail: mismatches.iter().map(describe).collect::<Vec<_>>().join("; "),
            });
        }
        let verified = report.verified;
        Ok(FileReport { kind, verified, report, printed_mismatches: printed, credential })
    }

    /// The credential of this service that a link or id names, as an employer types or pastes it: the page
    /// URL (with or without `.pdf`, `.json`, `.png`, a query or a fragment) or the bare id. `None` when it
    /// names none that exists.
    pub async fn credential_by_link(&self, typed: &str) -> Option<CredentialId> {
        let prefix = format!("{}credentials/", self.public_url());
        let rest = typed.strip_prefix(&prefix).unwrap_or(typed);
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let rest = [".pdf", ".json", ".png"].iter().find_map(|s| rest.strip_suffix(s)).unwrap_or(rest);
        let id = CredentialId(Uuid::try_parse(rest.trim_end_matches('/')).ok()?);
        self.issued_credential(id).await.ok().map(|c| c.id)
    }

    /// The credential of this service whose URL a page prints, if any (and it exists).
    async fn printed_credential(&self, text: &[String]) -> Option<Value> {
        let page: String = text.concat().chars().filter(|c| !c.is_whitespace()).collect();
        let prefix = format!("{}credentials/", self.public_url());
        let start = page.find(&prefix)? + prefix.len();
        let id = Uuid::try_parse(page.get(start..start + 36)?).ok()?;
        let stored = self.issued_credential(CredentialId(id)).await.ok()?;
        serde_json::from_str(stored.document.get()).ok()
    }
}

const NO_CREDENTIAL: &str =
    "the PDF has no embedded credential, and no credential of this service is printed on it (its verification URL)";

/// One mismatch, in words: `learner: printed "…", signed "…"`.
fn describe(m: &certificate::Mismatch) -> String {
    match &m.printed {
        Some(printed) => format!("{}: printed {printed:?}, signed {:?}", m.fact, m.expected),
        None => format!("{}: the page does not show the signed {:?}", m.fact, m.expected),
    }
}
