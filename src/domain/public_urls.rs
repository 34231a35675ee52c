//! The addresses microcred publishes, built and read back in one place.
//!
//! A credential's `id` is its public page (`<public-url>/credentials/<uuid>`, the QR code's target); the
//! downloads add `.json`, `.pdf` or `.png`; achievements, status lists, DID documents and problem types have
//! their own paths. Everything that prints one of these addresses, or recognises one in a credential, a
//! certificate's text or what an employer types, goes through [`PublicUrls`], so the scheme can change in
//! one file.
//!
//! See: <https://www.w3.org/TR/vc-data-model-2.0/#identifiers> (a credential's `id` is a URL; ours resolves to
//! its page).

use url::Url;
use uuid::Uuid;

use super::achievement::AchievementId;
use super::award::CredentialId;
use super::issuer::Slug;
use super::status::StatusListId;

/// The public addresses of one deployment, all under its public origin (`https://certs.example.eu/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrls {
    base: Url,
}

/// A file a credential can be downloaded as, from `<credential-url>.<extension>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    /// `.json`: the signed credential.
    Json,
    /// `.pdf`: the certificate.
    Pdf,
    /// `.png`: the baked badge.
    Png,
    /// `.svg`: the baked badge as an SVG.
    Svg,
}

impl Download {
    /// Every download, for parsing an extension.
    const ALL: [Download; 4] = [Download::Json, Download::Pdf, Download::Png, Download::Svg];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Download::Json => "json",
            Download::Pdf => "pdf",
            Download::Png => "png",
            Download::Svg => "svg",
        }
    }

    /// The download an extension names (`json`, `pdf`, `png`), if any.
    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.extension() == extension)
    }
}

/// The last path segment of a credential's public address: its page (`<uuid>`) or a download
/// (`<uuid>.pdf`). Anything else names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFile {
    /// The credential page.
    Page(CredentialId),
    /// One of its downloads.
    Download(CredentialId, Download),
}

impl CredentialFile {
    /// Parses `<uuid>` or `<uuid>.<json|pdf|png|svg>`; `None` for any other text.
    pub fn parse(segment: &str) -> Option<Self> {
        let Some((id, extension)) = segment.rsplit_once('.') else {
            return Some(Self::Page(parse_id(segment)?));
        };
        Some(Self::Download(parse_id(id)?, Download::from_extension(extension)?))
    }
}

/// A credential id: a UUID in any of the forms `uuid` accepts (hyphenated, either case).
fn parse_id(text: &str) -> Option<CredentialId> {
    Uuid::try_parse(text).ok().map(CredentialId)
}

impl PublicUrls {
    /// The addresses under `base`, an origin ending in `/` (as [`Url`] writes an origin; the configuration
    /// refuses a public URL with a path, query or fragment).
    pub fn new(base: Url) -> Self {
        debug_assert!(base.path() == "/", "the public URL is an origin: {base}");
        Self { base }
    }

    /// The public origin, `https://certs.example.eu/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `<public-url>/credentials/<id>`: a credential's `id`, its public page and its QR code's target.
    pub fn credential(&self, id: CredentialId) -> String {
        format!("{}credentials/{id}", self.base)
    }

    /// `<public-url>/credentials/<id>.<json|pdf|png>`.
    pub fn credential_download(&self, id: CredentialId, download: Download) -> String {
        format!("{}.{}", self.credential(id), download.extension())
    }

    /// `/credentials/<id>`: the page's path, for links and redirects within the site.
    pub fn credential_path(id: CredentialId) -> String {
        format!("/credentials/{id}")
    }

    /// `<public-url>/achievements/<id>`: an achievement's `id` in credentials, and its public document.
    pub fn achievement(&self, id: AchievementId) -> String {
        format!("{}achievements/{id}", self.base)
    }

    /// `<public-url>/status/<list-id>`: where a Bitstring status list credential is published.
    pub fn status_list(&self, id: StatusListId) -> String {
        format!("{}status/{id}", self.base)
    }

    /// `<public-url>/images/<digest>.<png|svg>`: an uploaded image (achievement badge image, issuer logo).
    pub fn image(&self, file_name: &str) -> String {
        format!("{}images/{file_name}", self.base)
    }

    /// The file name (`<digest>.png`) of an image URL of microcred's shape (`…/images/<file>`), whatever its
    /// origin: images are named by their content's digest, so the name alone says which bytes are meant,
    /// also in a credential issued while the deployment had another public URL.
    pub fn image_file(url: &str) -> Option<&str> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return None;
        }
        let (_, file) = url.rsplit_once("/images/")?;
        (!file.is_empty() && !file.contains(['/', '?', '#'])).then_some(file)
    }

    /// `<public-url>/issuers/<slug>`: an issuer's public profile (page and OB 3.0 `Profile`).
    pub fn issuer_profile(&self, slug: &Slug) -> String {
        format!("{}issuers/{slug}", self.base)
    }

    /// `<public-url>/issuers/<slug>/did.json`: where a `did:web` issuer's DID document is served.
    pub fn did_document(&self, slug: &Slug) -> String {
        format!("{}issuers/{slug}/did.json", self.base)
    }

    /// The OpenID4VCI Credential Issuer Identifier and the VCALM exchange `domain`: the public origin
    /// without its trailing `/` (`https://certs.example.eu`), as the metadata URL rule expects.
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-issuer-identifier>
    pub fn credential_issuer(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `/me/credentials/<id>/wallet`: "Add to wallet" for a credential in the learner's space (under `/me`,
    /// where the space's session cookie is sent).
    pub fn wallet_path(id: CredentialId) -> String {
        format!("/me/credentials/{id}/wallet")
    }

    /// `<public-url>/<path>`: an OpenID4VCI endpoint (`token`, `nonce`, `credential`, `notification`).
    pub fn wallet_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `<public-url>/offers/<id>`: an offer's `credential_offer_uri`, served once.
    pub fn credential_offer(&self, offer_id: &str) -> String {
        format!("{}offers/{offer_id}", self.base)
    }

    /// `<public-url>/interactions/<id>?iuv=1`: the VCALM interaction URL behind the "Add to wallet" QR code.
    /// See: <https://w3c.github.io/vcalm/#interaction-url-format>
    pub fn interaction(&self, offer_id: &str) -> String {
        format!("{}interactions/{offer_id}?iuv=1", self.base)
    }

    /// `<public-url>/workflows/claim/exchanges/<id>`: the VCALM exchange of an offer.
    pub fn exchange(&self, offer_id: &str) -> String {
        format!("{}workflows/claim/exchanges/{offer_id}", self.base)
    }

    /// `<public-url>/problems/<slug>`: the documentation of a problem type, as an absolute URI.
    pub fn problem(&self, slug: &str) -> String {
        format!("{}problems/{slug}", self.base)
    }

    /// The credential whose `id` is exactly `url` (`<public-url>/credentials/<uuid>`).
    pub fn credential_id(&self, url: &str) -> Option<CredentialId> {
        parse_id(self.under(url, "credentials/")?)
    }

    /// The status list published at exactly `url`: `Some(Err(()))` for an address under `/status/` that
    /// names no list, `None` for an address that is not ours.
    pub fn status_list_id(&self, url: &str) -> Option<Result<StatusListId, ()>> {
        let rest = self.under(url, "status/")?;
        Some(Uuid::try_parse(rest).map(StatusListId).map_err(|_| ()))
    }

    /// The credential a link or id names, as an employer types or pastes it: the page URL (with or without
    /// `.pdf`, `.json`, `.png`, a trailing `/`, a query or a fragment, and under whatever host name the
    /// employer reached this service by: `http://` for `https://`, an internal address, no scheme at all) or
    /// the bare id. The id alone names the credential; the page it leads to verifies it.
    pub fn credential_link(&self, typed: &str) -> Option<CredentialId> {
        let path = typed.split(['?', '#']).next().unwrap_or_default();
        let rest = path.rsplit_once("/credentials/").map_or(path, |(_, rest)| rest).trim_end_matches('/');
        match CredentialFile::parse(rest)? {
            CredentialFile::Page(id) | CredentialFile::Download(id, _) => Some(id),
        }
    }

    /// The first credential address printed in a text (a certificate's words, whitespace removed so that an
    /// address broken across lines is found whole).
    pub fn credential_in_text(&self, text: &str) -> Option<CredentialId> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let prefix = format!("{}credentials/", self.base);
        let start = text.find(&prefix)? + prefix.len();
        parse_id(text.get(start..start + 36)?)
    }

    /// The rest of `url` after `<public-url>/<path>`, if it starts so.
    fn under<'a>(&self, url: &'a str, path: &str) -> Option<&'a str> {
        url.strip_prefix(self.base.as_str())?.strip_prefix(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> PublicUrls {
        PublicUrls::new(Url::parse("https://certs.example.eu").unwrap())
    }

    const ID: &str = "0b6c1e0e-6f5a-4c1e-9f55-6a1d2d9c8e71";

    #[test]
    fn what_is_built_is_read_back() {
        let id = parse_id(ID).unwrap();
        let u = urls();
        assert_eq!(u.credential(id), format!("https://certs.example.eu/credentials/{ID}"));
        assert_eq!(u.credential_id(&u.credential(id)), Some(id));
        assert_eq!(u.credential_download(id, Download::Pdf), format!("https://certs.example.eu/credentials/{ID}.pdf"));
        let list = StatusListId(Uuid::nil());
        assert_eq!(u.status_list_id(&u.status_list(list)), Some(Ok(list)));
        assert_eq!(u.status_list_id("https://certs.example.eu/status/x"), Some(Err(())));
        assert_eq!(u.status_list_id("https://elsewhere.example/status/x"), None);
        assert_eq!(u.did_document(&"ucs".parse().unwrap()), "https://certs.example.eu/issuers/ucs/did.json");
    }

    #[test]
    fn an_id_url_must_be_exact() {
        let u = urls();
        assert_eq!(u.credential_id(&format!("https://certs.example.eu/credentials/{ID}.pdf")), None);
        assert_eq!(u.credential_id(&format!("https://other.example/credentials/{ID}")), None);
        assert_eq!(u.credential_id(&format!("https://certs.example.eu/credentials/{ID}/x")), None);
    }

    #[test]
    fn typed_links_are_read_forgivingly() {
        let u = urls();
        let id = parse_id(ID);
        for typed in [
            ID.to_owned(),
            format!("https://certs.example.eu/credentials/{ID}"),
            format!("https://certs.example.eu/credentials/{ID}.pdf"),
            format!("https://certs.example.eu/credentials/{ID}/"),
            format!("https://certs.example.eu/credentials/{ID}?lang=bg#top"),
            format!("{ID}.json"),
            format!("http://127.0.0.1:8080/credentials/{ID}"),
            format!("certs.example.eu/credentials/{ID}.pdf"),
        ] {
            assert_eq!(u.credential_link(&typed), id, "{typed}");
        }
        assert_eq!(u.credential_link(&format!("{ID}.exe")), None);
        // The query is not part of the address: what it holds is never read as the credential.
        let other = "11111111-2222-4333-8444-555555555555";
        assert_eq!(u.credential_link(&format!("https://x.eu/credentials/{ID}?next=/credentials/{other}")), id);
        assert_eq!(u.credential_link(&format!("https://certs.example.eu/credentials/credentials/{ID}")), id);
        assert_eq!(u.credential_link(&ID.to_uppercase()), id);
        assert_eq!(u.credential_link(&format!("http://localhost:8080/credentials/{ID}.pdf/")), id);
        assert_eq!(u.credential_link("not an id"), None);
    }

    #[test]
    fn a_printed_address_is_found_across_line_breaks() {
        let text = format!("Verify at https://certs.example.eu/cred\nentials/{}\n{}", &ID[..10], &ID[10..]);
        assert_eq!(urls().credential_in_text(&text), parse_id(ID));
        assert_eq!(urls().credential_in_text("no address here"), None);
    }

    #[test]
    fn files_of_a_credential() {
        let id = parse_id(ID).unwrap();
        assert_eq!(CredentialFile::parse(ID), Some(CredentialFile::Page(id)));
        assert_eq!(CredentialFile::parse(&format!("{ID}.png")), Some(CredentialFile::Download(id, Download::Png)));
        assert_eq!(CredentialFile::parse(&format!("{ID}.txt")), None);
        assert_eq!(CredentialFile::parse("x.pdf"), None);
    }
}
