//! What learners download: the PDF certificate (with its QR code and the signed credential embedded) and
//! the baked Open Badges 3.0 PNG, and reading both back for verification.
//!
//! The printed facts come from the signed credential, never from the database, and everything is
//! deterministic: the same credential, template, language and paper give the same bytes.

pub mod badge;
pub mod extract;
pub mod facts;
pub mod fonts;
pub mod i18n;
pub mod layout;
pub mod pdf;
pub mod template;
pub mod type3;
pub mod typeset;

use serde_json::Value;

pub use facts::Facts;
pub use fonts::FontChain;
pub use i18n::Labels;
pub use pdf::{Paper, PdfError};
pub use template::{Template, Templates};

/// A fact printed on a certificate that the embedded credential does not back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// Which fact (`learner`, `achievement`, `issuer`, `url`).
    pub fact: &'static str,
    /// What the credential says, which the page does not show.
    pub expected: String,
}

/// Renders the certificate of a signed credential (its JSON text, embedded byte for byte), in the bundled
/// and the system's fonts ([`FontChain::system`]).
pub fn render_pdf(credential: &str, template: &Template, labels: &Labels, paper: Paper) -> Result<Vec<u8>, PdfError> {
    render_pdf_with(credential, template, labels, paper, FontChain::system())
}

/// [`render_pdf`] with the fonts of `fonts`.
pub fn render_pdf_with(
    credential: &str,
    template: &Template,
    labels: &Labels,
    paper: Paper,
    fonts: &FontChain,
) -> Result<Vec<u8>, PdfError> {
    let value: Value = serde_json::from_str(credential).unwrap_or(Value::Null);
    let facts = Facts::of(&value, labels.lang);
    pdf::render_with(&facts, credential.as_bytes(), template, labels, paper, fonts)
}

/// The credential's facts that the printed text does not show: the learner's name, the achievement, the
/// issuer and the verification URL, compared in logical order (as certificates write text, whatever its
/// direction) without regard to line breaks or characters that are never drawn (joiners, bidi controls).
/// Empty when all match.
pub fn printed_mismatches(printed: &[String], credential: &Value) -> Vec<Mismatch> {
    let squash =
        |s: &str| s.chars().filter(|c| !c.is_whitespace() && !fonts::is_default_ignorable(*c)).collect::<String>();
    let page = squash(&printed.concat());
    // The printed language is not recorded, so a fact matches if it is shown in any supported language.
    let facts: Vec<Facts> = i18n::LANGUAGES.iter().map(|lang| Facts::of(credential, lang)).collect();
    let mut mismatches = Vec::new();
    let mut check = |fact: &'static str, get: &dyn Fn(&Facts) -> String| {
        let values: Vec<String> = facts.iter().map(get).filter(|v| !v.trim().is_empty()).collect();
        if let Some(first) = values.first()
            && !values.iter().any(|v| page.contains(&squash(v)))
        {
            mismatches.push(Mismatch { fact, expected: first.clone() });
        }
    };
    check("learner", &|f| f.learner.clone());
    check("achievement", &|f| f.achievement.clone());
    check("issuer", &|f| f.issuer.clone());
    check("url", &|f| f.url.clone().unwrap_or_default());
    mismatches
}
