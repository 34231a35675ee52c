//! Issuers: the awarding bodies, published as Open Badges 3.0 `Profile`s.
//!
//! See <https://www.imsglobal.org/spec/ob/v3p0/#profile>.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::validation::ValidationErrors;

/// Database identity of an issuer (never shown in credentials; those use the DID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct IssuerId(pub Uuid);

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The short, URL-safe name of an issuer, part of its `did:web` and of its URLs; never changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit")]
pub struct InvalidSlug;

impl Slug {
    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Slug {
    type Err = InvalidSlug;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=63).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok { Ok(Self(s.to_owned())) } else { Err(InvalidSlug) }
    }
}

impl TryFrom<String> for Slug {
    type Error = InvalidSlug;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> Self {
        s.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case (the EU micro-credential recommendation requires the
/// awarding body's country).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

/// Why a country code was refused: what to write instead, when a common near miss is recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ISO 3166-1 alpha-2 code such as \"BG\", \"GR\" or \"ES\"{}", .0.as_ref().map(|hint| format!(" ({hint})")).unwrap_or_default())]
pub struct InvalidCountry(Option<String>);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CountryCode {
    type Err = InvalidCountry;
    /// Accepts an assigned ISO 3166-1 alpha-2 code in either case (`bg` → `BG`). The EU's own codes for
    /// Greece and the United Kingdom (`EL`, `UK`) are refused with the ISO code to use.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        match code.as_str() {
            "EL" => {
                return Err(InvalidCountry(Some("Greece is GR in ISO 3166-1; EL is the EU's own abbreviation".into())));
            }
            "UK" => return Err(InvalidCountry(Some("the United Kingdom is GB in ISO 3166-1".into()))),
            _ => {}
        }
        if let Ok(country) = isocountry::CountryCode::for_alpha2(&code) {
            return Ok(Self(country.alpha2().to_owned()));
        }
        // A country's name or its three-letter code, as people often write it: say which code it is.
        let name = s.trim();
        let named = isocountry::CountryCode::for_alpha3(&code)
            .ok()
            .or_else(|| isocountry::CountryCode::iter().copied().find(|c| c.name().eq_ignore_ascii_case(name)));
        Err(InvalidCountry(named.map(|c| format!("{} is {}", c.name(), c.alpha2()))))
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidCountry;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> Self {
        c.0
    }
}

/// An e-mail address, checked only for shape (delivery is not our concern).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an e-mail address such as name@example.org")]
pub struct InvalidEmail;

impl Email {
    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = InvalidEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let Some((local, domain)) = s.rsplit_once('@') else { return Err(InvalidEmail) };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok { Ok(Self(s.to_owned())) } else { Err(InvalidEmail) }
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

/// How an issuer's DID is formed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DidMethod {
    /// `did:web:<host>:issuers:<slug>`, resolved from this service; keys can rotate.
    #[default]
    Web,
    /// `did:key:z6Mk…` of the issuer's one key: needs no domain, but can never rotate.
    Key,
}

impl DidMethod {
    /// The stored name (`web` or `key`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Key => "key",
        }
    }
}

impl FromStr for DidMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "web" => Ok(Self::Web),
            "key" => Ok(Self::Key),
            other => Err(format!("unknown DID method {other:?} (expected \"web\" or \"key\")")),
        }
    }
}

/// An awarding body as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Issuer {
    /// Database identity.
    pub id: IssuerId,
    /// URL-safe short name, unique.
    #[schema(value_type = String)]
    pub slug: Slug,
    /// The issuer's DID, fixed when the issuer is created.
    pub did: String,
    /// How `did` was formed.
    pub did_method: DidMethod,
    /// Display name (any script).
    pub name: String,
    /// Home page of the awarding body.
    pub url: Option<Url>,
    /// Contact address.
    #[schema(value_type = Option<String>)]
    pub email: Option<Email>,
    /// Country of the awarding body (ISO 3166-1 alpha-2).
    #[schema(value_type = Option<String>)]
    pub country: Option<CountryCode>,
    /// Free-text description.
    pub description: Option<String>,
    /// Logo image URL.
    pub logo_url: Option<Url>,
    /// Whether its credentials carry a second, `suspension` status entry (see docs/standards.md, "Status
    /// lists": VCDM 2.0 allows it, the OB 3.0 JSON Schema does not).
    pub suspension_enabled: bool,
    /// How its awards are e-mailed to learners.
    pub mail: MailSettings,
    /// Whether a wallet must prove control of a key to receive its credentials (OpenID4VCI holder binding,
    /// `proofs`); when false a wallet that sends no proof gets the award as a bearer credential.
    /// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-request>
    pub holder_binding_required: bool,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How an issuer's awards are e-mailed to their learners. The message is sent from the deployment's
/// `mail_from` address, under the issuer's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MailSettings {
    /// The name the message comes from (default: the issuer's name).
    pub sender_name: Option<String>,
    /// Where learners' replies go (default: the issuer's contact `email`).
    #[schema(value_type = Option<String>)]
    pub reply_to: Option<Email>,
    /// Attach the PDF certificate to the message (default false: the message links to it).
    pub attach_pdf: bool,
    /// Days before a credential's `validUntil` its learner is reminded, largest first (default 90 and 30;
    /// empty: no reminders). A weekly digest of what expires in the next 90 days goes to the contact `email`.
    pub expiry_reminder_days: Vec<u32>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            sender_name: None,
            reply_to: None,
            attach_pdf: false,
            expiry_reminder_days: crate::domain::lifecycle::DEFAULT_REMINDER_DAYS.to_vec(),
        }
    }
}

/// [`MailSettings`] as a client sends them (inside [`IssuerInput::mail`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsInput {
    /// See [`MailSettings::sender_name`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// See [`MailSettings::reply_to`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// See [`MailSettings::attach_pdf`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_pdf: Option<bool>,
    /// See [`MailSettings::expiry_reminder_days`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_reminder_days: Option<Vec<u32>>,
}

impl MailSettingsInput {
    fn validate(&self, errors: &mut ValidationErrors) -> MailSettings {
        let sender_name = self
            .sender_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .and_then(|n| errors.check("mail.sender_name", check_text(n, 200)))
            // A display name is one header line: no line breaks.
            .filter(|n| {
                let one_line = !n.contains(['\n', '\r', '\t']);
                if !one_line {
                    errors.add("mail.sender_name", "must be one line");
                }
                one_line
            });
        let reply_to = self.reply_to.as_deref().and_then(|e| errors.check("mail.reply_to", e.parse::<Email>()));
        let expiry_reminder_days = match self.expiry_reminder_days.clone() {
            None => crate::domain::lifecycle::DEFAULT_REMINDER_DAYS.to_vec(),
            Some(days) => errors
                .check("mail.expiry_reminder_days", crate::domain::lifecycle::check_reminder_days(days))
                .unwrap_or_default(),
        };
        MailSettings { sender_name, reply_to, attach_pdf: self.attach_pdf.unwrap_or(false), expiry_reminder_days }
    }
}

impl From<&MailSettings> for MailSettingsInput {
    fn from(m: &MailSettings) -> Self {
        Self {
            sender_name: m.sender_name.clone(),
            reply_to: m.reply_to.as_ref().map(|e| e.as_str().to_owned()),
            attach_pdf: Some(m.attach_pdf),
            expiry_reminder_days: Some(m.expiry_reminder_days.clone()),
        }
    }
}

/// What a client may send to create an issuer (the JSON body of `POST /api/v1/issuers`), and what a merge
/// patch of `PATCH /api/v1/issuers/{slug}` applies to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuerInput {
    /// See [`Issuer::slug`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// See [`Issuer::name`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// See [`Issuer::url`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// See [`Issuer::email`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// See [`Issuer::country`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// See [`Issuer::description`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// See [`Issuer::logo_url`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// `web` (default) or `key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_method: Option<String>,
    /// Add a suspension status entry to its credentials (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension_enabled: Option<bool>,
    /// How its awards are e-mailed to learners.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailSettingsInput>,
    /// Wallets must prove control of a key to receive its credentials (default false: a wallet that sends
    /// no proof gets a bearer credential).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_binding_required: Option<bool>,
}

/// A validated request to create an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssuer {
    /// See [`Issuer::slug`].
    pub slug: Slug,
    /// See [`Issuer::name`].
    pub name: String,
    /// See [`Issuer::url`].
    pub url: Option<Url>,
    /// See [`Issuer::email`].
    pub email: Option<Email>,
    /// See [`Issuer::country`].
    pub country: Option<CountryCode>,
    /// See [`Issuer::description`].
    pub description: Option<String>,
    /// See [`Issuer::logo_url`].
    pub logo_url: Option<Url>,
    /// See [`Issuer::did_method`].
    pub did_method: DidMethod,
    /// See [`Issuer::suspension_enabled`].
    pub suspension_enabled: bool,
    /// See [`Issuer::mail`].
    pub mail: MailSettings,
    /// See [`Issuer::holder_binding_required`].
    pub holder_binding_required: bool,
}

/// What a change of an issuer's profile does to credentials, said to whoever makes one.
pub const PROFILE_CHANGE_APPLIES: &str =
    "credentials issued from now on carry this profile; credentials already issued are signed and stay as they are";

/// Longest display name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 500;

impl IssuerInput {
    /// Validates every field and reports all problems at once. `country` is required here because every
    /// issuer created through the API may award EU micro-credentials.
    pub fn validate(self) -> Result<NewIssuer, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let slug = match self.slug.as_deref() {
            None => {
                errors.add("slug", "is required");
                None
            }
            Some(s) => errors.check("slug", s.parse::<Slug>()),
        };
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add("name", "is required");
                None
            }
            Some(n) => errors.check("name", check_text(n, MAX_NAME_CHARS)),
        };
        let url = self.url.as_deref().and_then(|u| errors.check("url", parse_http_url(u)));
        let email = self.email.as_deref().and_then(|e| errors.check("email", e.parse::<Email>()));
        let country = match self.country.as_deref() {
            None => {
                errors.add(
                    "country",
                    "is required (the EU micro-credential recommendation requires the awarding body's country)",
                );
                None
            }
            Some(c) => errors.check("country", c.parse::<CountryCode>()),
        };
        let description =
            self.description.as_deref().and_then(|d| errors.check("description", check_text(d.trim(), 10_000)));
        let logo_url = self.logo_url.as_deref().and_then(|u| errors.check("logo_url", parse_http_url(u)));
        let did_method = self
            .did_method
            .as_deref()
            .map_or(Some(DidMethod::Web), |m| errors.check("did_method", m.parse::<DidMethod>()));
        let mail = self.mail.unwrap_or_default().validate(&mut errors);
        match (slug, name, did_method) {
            (Some(slug), Some(name), Some(did_method)) if errors.0.is_empty() => Ok(NewIssuer {
                slug,
                name,
                url,
                email,
                country,
                description,
                logo_url,
                did_method,
                suspension_enabled: self.suspension_enabled.unwrap_or(false),
                mail,
                holder_binding_required: self.holder_binding_required.unwrap_or(false),
            }),
            _ => Err(errors),
        }
    }
}

impl From<&Issuer> for IssuerInput {
    fn from(issuer: &Issuer) -> Self {
        Self {
            slug: Some(issuer.slug.to_string()),
            name: Some(issuer.name.clone()),
            url: issuer.url.as_ref().map(ToString::to_string),
            email: issuer.email.as_ref().map(|e| e.as_str().to_owned()),
            country: issuer.country.as_ref().map(|c| c.as_str().to_owned()),
            description: issuer.description.clone(),
            logo_url: issuer.logo_url.as_ref().map(ToString::to_string),
            did_method: Some(issuer.did_method.as_str().to_owned()),
            suspension_enabled: Some(issuer.suspension_enabled),
            mail: Some(MailSettingsInput::from(&issuer.mail)),
            holder_binding_required: Some(issuer.holder_binding_required),
        }
    }
}

impl Issuer {
    /// This issuer with a JSON merge patch applied to its profile (name, url, email, country, description,
    /// logo_url, suspension_enabled, mail, holder_binding_required), validated as a whole as at creation: every problem is reported at
    /// once. The slug and the DID method name the issuer's DID and cannot change.
    ///
    /// See: <https://www.rfc-editor.org/rfc/rfc7396>
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Issuer, ValidationErrors> {
        if !patch.is_object() {
            return Err(ValidationErrors::single(
                "body",
                "must be a JSON merge patch: an object of the fields to change",
            ));
        }
        let mut merged = serde_json::to_value(IssuerInput::from(self))
            .map_err(|e| ValidationErrors::single("body", e.to_string()))?;
        json_patch::merge(&mut merged, patch);
        let input: IssuerInput =
            serde_json::from_value(merged).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
        let mut errors = ValidationErrors::default();
        if input.slug.as_deref() != Some(self.slug.as_str()) {
            errors.add("slug", "cannot change: it is part of the issuer's DID and of its addresses");
        }
        if input.did_method.as_deref() != Some(self.did_method.as_str()) {
            errors.add("did_method", "cannot change: the issuer's DID is fixed when it is created");
        }
        let new = match input.validate() {
            Ok(new) => errors.finish(new)?,
            Err(mut more) => {
                errors.0.append(&mut more.0);
                return Err(errors);
            }
        };
        Ok(Issuer {
            name: new.name,
            url: new.url,
            email: new.email,
            country: new.country,
            description: new.description,
            logo_url: new.logo_url,
            suspension_enabled: new.suspension_enabled,
            mail: new.mail,
            holder_binding_required: new.holder_binding_required,
            ..self.clone()
        })
    }
}

/// Accepts free text of any script, refusing control characters (other than line breaks and tabs) and
/// excessive length, which no awarding body or learner needs and which would break documents.
pub fn check_text(s: &str, max_chars: usize) -> Result<String, String> {
    if s.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err("must not contain control characters".into());
    }
    Ok(s.to_owned())
}

/// Parses an absolute `http` or `https` URL.
pub fn parse_http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("must be an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http or https URL".into());
    }
    Ok(url)
}

/// An issuer for unit tests: `ucs`, `did:web`, no profile beyond its name, created at the Unix epoch.
#[cfg(test)]
pub(crate) fn test_issuer() -> Issuer {
    Issuer {
        id: IssuerId(Uuid::nil()),
        slug: "ucs".parse().unwrap(),
        did: "did:web:certs.example.eu:issuers:ucs".into(),
        did_method: DidMethod::Web,
        name: "Universal Certifcation Solutions".into(),
        url: None,
        email: None,
        country: None,
        description: None,
        logo_url: None,
        suspension_enabled: false,
        mail: MailSettings::default(),
        holder_binding_required: false,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_names_and_refuse_everything_else() {
        for ok in ["default", "ucs", "smart-city-2026", "a", "0day"] {
            assert!(ok.parse::<Slug>().is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "Upper", "with space", "ünï", "a/b", "..", &"x".repeat(64)] {
            assert!(bad.parse::<Slug>().is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes_are_normalised_to_upper_case() {
        assert_eq!("bg".parse::<CountryCode>().unwrap().as_str(), "BG");
        assert!("BGR".parse::<CountryCode>().is_err());
        assert!("B1".parse::<CountryCode>().is_err());
    }

    #[test]
    fn country_codes_must_be_assigned_iso_3166_codes() {
        for ok in ["BG", "GR", "ES", "IT", "CY", "DE", "GB", "MK", "UA", "JP"] {
            assert_eq!(ok.parse::<CountryCode>().unwrap().as_str(), ok);
        }
        for bad in ["XX", "ZZ", "QQ", "AA"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad}");
        }
        let greece = "EL".parse::<CountryCode>().unwrap_err().to_string();
        assert!(greece.contains("Greece is GR"), "{greece}");
        let britain = "uk".parse::<CountryCode>().unwrap_err().to_string();
        assert!(britain.contains("GB"), "{britain}");
        // A name or a three-letter code gets the code to write (found by trying "Bulgaria").
        let named = "Bulgaria".parse::<CountryCode>().unwrap_err().to_string();
        assert!(named.contains("Bulgaria is BG"), "{named}");
        let alpha3 = "ITA".parse::<CountryCode>().unwrap_err().to_string();
        assert!(alpha3.contains("Italy is IT"), "{alpha3}");
    }

    #[test]
    fn issuer_input_reports_every_problem_at_once() {
        let errors = IssuerInput {
            slug: Some("Bad Slug".into()),
            name: Some("  ".into()),
            email: Some("nope".into()),
            url: Some("ftp://x.org".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "name", "url", "email", "country"]);
    }

    fn ucs() -> Issuer {
        super::test_issuer()
    }

    #[test]
    fn a_patch_changes_the_profile_and_nothing_else() {
        let patch = serde_json::json!({"name": "Universal Certification Solutions", "country": "bg",
                                       "url": "https://ucs.example", "suspension_enabled": true});
        let patched = ucs().patched(&patch).unwrap();
        assert_eq!(patched.name, "Universal Certification Solutions");
        assert_eq!(patched.country.as_ref().map(CountryCode::as_str), Some("BG"));
        assert_eq!(patched.url.as_ref().map(Url::as_str), Some("https://ucs.example/"));
        assert!(patched.suspension_enabled);
        assert_eq!((patched.id, &patched.did, patched.created_at), (ucs().id, &ucs().did, ucs().created_at));
        // null removes an optional field (RFC 7396).
        let cleared = patched.patched(&serde_json::json!({"url": null})).unwrap();
        assert_eq!(cleared.url, None);
    }

    #[test]
    fn a_patch_is_validated_as_a_whole() {
        let errors = ucs()
            .patched(&serde_json::json!({"slug": "other", "did_method": "key", "country": "EL", "name": null}))
            .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["slug", "did_method", "name", "country"]);
        assert!(errors.0[3].message.contains("Greece is GR"), "{:?}", errors.0[3]);
        // A patch that keeps the country missing is refused: API issuers carry their country.
        assert_eq!(ucs().patched(&serde_json::json!({"name": "X"})).unwrap_err().0[0].field, "country");
        assert_eq!(ucs().patched(&serde_json::json!({"colour": "red"})).unwrap_err().0[0].field, "body");
        assert_eq!(ucs().patched(&serde_json::json!(["name"])).unwrap_err().0[0].field, "body");
    }

    #[test]
    fn issuer_input_keeps_names_in_any_script() {
        let issuer = IssuerInput {
            slug: Some("ucs".into()),
            name: Some("Универсални сертификационни решения — Ελλάδα".into()),
            country: Some("bg".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(issuer.name, "Универсални сертификационни решения — Ελλάδα");
        assert_eq!(issuer.did_method, DidMethod::Web);
    }
}
