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
pub mod printed;
pub mod qr;
pub mod template;
pub mod type3;
pub mod typeset;

use serde_json::Value;

pub use facts::Facts;
pub use fonts::FontChain;
pub use i18n::Labels;
pub use pdf::{Paper, PdfError};
pub use printed::{Mismatch, printed_mismatches};
pub use template::{Template, Templates};

/// Renders the certificate of a signed credential (its JSON text, embedded byte for byte), in the bundled
/// and the system's fonts ([`FontChain::system`]).
pub fn render_pdf(credential: &str, template: &Template, labels: &Labels, paper: Paper) -> Result<Vec<u8>, PdfError> {
    render_pdf_with(credential, template, labels, paper, FontChain::system(), None)
}

/// [`render_pdf`] with the fonts of `fonts` and the issuer's logo (`logo`, the PNG or SVG the credential's
/// `issuer.image` names, for the template's `logo` element).
pub fn render_pdf_with(
    credential: &str,
    template: &Template,
    labels: &Labels,
    paper: Paper,
    fonts: &FontChain,
    logo: Option<&[u8]>,
) -> Result<Vec<u8>, PdfError> {
    let value: Value = serde_json::from_str(credential).unwrap_or(Value::Null);
    let facts = Facts::of(&value, labels.lang);
    pdf::render_with(&facts, credential.as_bytes(), template, labels, paper, fonts, logo)
}

/// `text` (a URL) as a QR code in SVG, error correction level M, black on white with the standard 4-module
/// quiet zone, scaled to at least `size` pixels; without the XML declaration, to be inlined in a page or
/// served on its own. `None` if the text is too long for any QR code version.
pub fn qr_svg(text: &str, size: u32) -> Option<String> {
    use qrcode::render::{Renderer, svg};
    let (width, dark) = qr::modules(text.as_bytes(), qrcode::EcLevel::M)?;
    let colors: Vec<qrcode::Color> =
        dark.into_iter().map(|d| if d { qrcode::Color::Dark } else { qrcode::Color::Light }).collect();
    let rendered = Renderer::<svg::Color<'_>>::new(&colors, width, 4)
        .min_dimensions(size, size)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = rendered.find("<svg")?;
    Some(rendered[start..].to_owned())
}
