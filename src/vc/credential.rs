//! The Open Badges 3.0 `OpenBadgeCredential` microcred issues: a W3C VC 2.0 whose subject is an
//! `AchievementSubject` naming the learner and the achievement (the module) they completed.
//!
//! The shape follows 1EdTech's canonical JSON (arrays for every multi-valued property, complete
//! `IdentityObject`s) so every credential validates against the official JSON Schema.
//! See <https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential>.
//!
//! **The learner's name.** OB 3.0's `AchievementSubject` has no `name` property: the spec identifies the
//! learner with `identifier` objects, and OB 3.0 displayers show the `IdentityObject` whose
//! `identityType` is `name` (unhashed). Many VC wallets and verifiers instead read
//! `credentialSubject.name` (the VC v2 context maps it to schema.org `name`, so it is signed like any
//! other claim). microcred writes both, with the same text, so every displayer finds the name; the
//! e-mail address only ever appears as a salted SHA-256 `identityHash`.

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::contexts::{self, CREDENTIALS_V2, OB_V3P0_3_0_3};
use time::OffsetDateTime;

use super::proof::xsd_date_time;
use crate::domain::achievement::AchievementSpec;
use crate::domain::issuer::Issuer;

/// `https://www.w3.org/ns/credentials/v2` then the OB 3.0.3 context, in that order.
pub fn ob_contexts() -> Vec<Value> {
    vec![CREDENTIALS_V2.into(), OB_V3P0_3_0_3.into()]
}

/// [`ob_contexts`] followed by microcred's inline extension context, for achievements that carry EU
/// micro-credential elements Open Badges 3.0 has no term for.
pub fn eu_contexts() -> Vec<Value> {
    let mut contexts = ob_contexts();
    contexts.push(contexts::microcred_inline().clone());
    contexts
}

/// An Open Badges 3.0 credential as microcred writes it (unsigned, or with `proof`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBadgeCredential {
    /// VC v2 + OB 3.0.3 ([`ob_contexts`]), and the inline extension context when the achievement carries
    /// EU elements beyond OB 3.0 ([`eu_contexts`]).
    #[serde(rename = "@context")]
    pub context: Vec<Value>,
    /// `<public-url>/credentials/<uuid>`.
    pub id: String,
    /// `["VerifiableCredential", "OpenBadgeCredential"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// The awarding body.
    pub issuer: Profile,
    /// When the credential starts being valid (XSD dateTimeStamp).
    #[serde(rename = "validFrom")]
    pub valid_from: String,
    /// When it expires, if it does.
    #[serde(rename = "validUntil", default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The credential's title (the achievement's name).
    pub name: String,
    /// A sentence describing the award.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The learner and what they achieved.
    #[serde(rename = "credentialSubject")]
    pub credential_subject: AchievementSubject,
    /// Revocation (Bitstring Status List entry), once the issuer publishes status lists.
    #[serde(rename = "credentialStatus", default, skip_serializing_if = "Option::is_none")]
    pub credential_status: Option<Value>,
    /// For a renewal: the credential it renews, with a digest of that credential as issued.
    #[serde(rename = "relatedResource", default, skip_serializing_if = "Vec::is_empty")]
    pub related_resource: Vec<RelatedResource>,
    /// Data Integrity proofs, always an array.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proof: Vec<Value>,
}

/// A VCDM 2.0 `relatedResource`: a resource the credential refers to, with a digest of its content, so that
/// the reference is integrity-protected. microcred names the credential a renewal renews this way: neither OB
/// 3.0 nor VCDM 2.0 has a "supersedes" term, and this one is in the base context every verifier has, and pins
/// the exact older credential (a URL alone could be answered with another document).
///
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#integrity-of-related-resources>
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedResource {
    /// The resource's URL (here: the renewed credential's signed JSON, `<id>.json`, whose bytes the digest is of).
    pub id: String,
    /// `sha384-<base64>` of the resource's bytes as served (Subresource Integrity).
    #[serde(rename = "digestSRI")]
    pub digest_sri: String,
    /// The media type those bytes are served as.
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl RelatedResource {
    /// The reference to a credential's JSON served at `url`, whose bytes are `document`.
    pub fn credential(url: &str, document: &str) -> Self {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = sha2::Sha384::digest(document.as_bytes());
        Self {
            id: url.to_owned(),
            digest_sri: format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(digest)),
            media_type: Some("application/vc+ld+json".to_owned()),
        }
    }
}

/// An OB 3.0 `Profile` for the issuer. See <https://www.imsglobal.org/spec/ob/v3p0/#profile>.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The issuer's DID.
    pub id: String,
    /// `["Profile"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// Display name.
    pub name: String,
    /// Home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Contact address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Where the awarding body is (its country, which EU micro-credentials must state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl Profile {
    /// The profile of one of our issuers, as its credentials and its public profile page carry it.
    pub fn of(issuer: &Issuer) -> Self {
        Profile {
            id: issuer.did.clone(),
            kind: vec!["Profile".into()],
            name: issuer.name.clone(),
            url: issuer.url.as_ref().map(ToString::to_string),
            email: issuer.email.as_ref().map(|e| e.as_str().to_owned()),
            description: issuer.description.clone(),
            image: issuer.logo_url.as_ref().map(|u| Image { id: u.to_string(), kind: "Image".into() }),
            address: issuer
                .country
                .as_ref()
                .map(|c| Address { kind: vec!["Address".into()], address_country_code: c.as_str().to_owned() }),
        }
    }

    /// The profile as a JSON-LD document of its own (`@context` of Open Badges 3.0), as
    /// `GET /issuers/{slug}` serves it to programs.
    ///
    /// See: <https://www.imsglobal.org/spec/ob/v3p0/#profile>
    pub fn to_json_ld(&self) -> Value {
        let mut document = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut document {
            map.insert("@context".into(), Value::Array(ob_contexts()));
        }
        document
    }
}

/// An OB 3.0 `Address`, here only with the country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// `["Address"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(rename = "addressCountryCode")]
    pub address_country_code: String,
}

/// An OB 3.0 `Image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Image URL.
    pub id: String,
    /// `"Image"`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The learner and the achievement. See <https://www.imsglobal.org/spec/ob/v3p0/#achievementsubject>.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementSubject {
    /// The learner's own identifier (a DID or URL), when they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `["AchievementSubject"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// The learner's name, for displayers that read `credentialSubject.name` (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The learner's name (plain) and e-mail address (hashed).
    pub identifier: Vec<IdentityObject>,
    /// What was achieved.
    pub achievement: Achievement,
    /// Credits earned.
    #[serde(rename = "creditsEarned", default, skip_serializing_if = "Option::is_none")]
    pub credits_earned: Option<f64>,
    /// Results (grades, scores).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result: Vec<ResultEntry>,
}

/// An OB 3.0 `IdentityObject`. See <https://www.imsglobal.org/spec/ob/v3p0/#identityobject>.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityObject {
    /// `"IdentityObject"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether `identity_hash` is a hash.
    pub hashed: bool,
    /// The identifier, or `sha256$<hex>`.
    #[serde(rename = "identityHash")]
    pub identity_hash: String,
    /// `name`, `emailAddress`, …
    #[serde(rename = "identityType")]
    pub identity_type: String,
    /// Salt appended to the identifier before hashing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

impl IdentityObject {
    /// The learner's name, in clear.
    pub fn name(name: &str) -> Self {
        Self {
            kind: "IdentityObject".into(),
            hashed: false,
            identity_hash: name.to_owned(),
            identity_type: "name".into(),
            salt: None,
        }
    }

    /// An e-mail address as `sha256$hex(SHA-256(address + salt))`, with a fresh random salt. The address is
    /// trimmed and lower-cased first, so a verifier who knows it can check it however it was typed.
    pub fn hashed_email(email: &str) -> Self {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        Self::hashed_email_with_salt(email, &salt)
    }

    /// [`hashed_email`](Self::hashed_email) with a given salt.
    pub fn hashed_email_with_salt(email: &str, salt: &str) -> Self {
        let normalized = email.trim().to_lowercase();
        let digest = Sha256::digest(format!("{normalized}{salt}").as_bytes());
        Self {
            kind: "IdentityObject".into(),
            hashed: true,
            identity_hash: format!("sha256${}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            identity_type: "emailAddress".into(),
            salt: Some(salt.to_owned()),
        }
    }

    /// Whether `email` is the address this object hashes.
    pub fn matches_email(&self, email: &str) -> bool {
        self.identity_type == "emailAddress"
            && self.hashed
            && self
                .salt
                .as_deref()
                .is_some_and(|salt| Self::hashed_email_with_salt(email, salt).identity_hash == self.identity_hash)
    }
}

/// An OB 3.0 `Achievement`. See <https://www.imsglobal.org/spec/ob/v3p0/#achievement>.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Achievement {
    /// `<public-url>/achievements/<id>`.
    pub id: String,
    /// `["Achievement"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// Title.
    pub name: String,
    /// Description.
    pub description: String,
    /// How it is earned.
    pub criteria: Criteria,
    /// `MicroCredential`, `Certificate`, `Badge`, … or `ext:…`.
    #[serde(rename = "achievementType", default, skip_serializing_if = "Option::is_none")]
    pub achievement_type: Option<String>,
    /// ECTS credits.
    #[serde(rename = "creditsAvailable", default, skip_serializing_if = "Option::is_none")]
    pub credits_available: Option<f64>,
    /// Language of the achievement (BCP 47).
    #[serde(rename = "inLanguage", default, skip_serializing_if = "Option::is_none")]
    pub in_language: Option<String>,
    /// Image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Skills-framework alignments (ESCO…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alignment: Vec<Alignment>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// EU micro-credential elements Open Badges 3.0 has no term for (the extension context's terms).
    #[serde(flatten)]
    pub eu: EuElements,
}

/// The EU micro-credential elements (Council Recommendation 2022/C 243/02, Annex I) that Open Badges 3.0
/// has no term for, written with microcred's extension context (`contexts/microcredential-v1.jsonld`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EuElements {
    /// Learning outcomes, Annex I (f).
    #[serde(rename = "learningOutcome", default, skip_serializing_if = "Vec::is_empty")]
    pub learning_outcome: Vec<String>,
    /// Notional workload in hours, Annex I (g) (ECTS credits go in `creditsAvailable`).
    #[serde(rename = "workloadHours", default, skip_serializing_if = "Option::is_none")]
    pub workload_hours: Option<f64>,
    /// Type of assessment, Annex I (i).
    #[serde(rename = "assessmentType", default, skip_serializing_if = "Option::is_none")]
    pub assessment_type: Option<String>,
    /// Form of participation, Annex I (j): `online`, `onsite` or `blended`.
    #[serde(rename = "participationForm", default, skip_serializing_if = "Option::is_none")]
    pub participation_form: Option<String>,
    /// Type of quality assurance, Annex I (k).
    #[serde(rename = "qualityAssurance", default, skip_serializing_if = "Option::is_none")]
    pub quality_assurance: Option<String>,
    /// Prerequisites needed to enrol (optional element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<String>,
    /// Supervision and identity verification during assessment (optional element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervision: Option<String>,
    /// The grading scheme results are given in (optional element).
    #[serde(rename = "gradeScheme", default, skip_serializing_if = "Option::is_none")]
    pub grade_scheme: Option<String>,
    /// Integration and stackability options (optional element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stackability: Option<String>,
}

/// The JSON string an enum serializes to (its API and credential spelling).
fn label<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned))
}

impl EuElements {
    /// The elements of a catalogue entry.
    pub fn from_spec(spec: &AchievementSpec) -> Self {
        Self {
            learning_outcome: spec.learning_outcomes.clone(),
            workload_hours: spec.hours,
            assessment_type: spec.assessment_type.clone(),
            participation_form: spec.participation.as_ref().and_then(label),
            quality_assurance: spec.quality_assurance.clone(),
            prerequisites: spec.prerequisites.clone(),
            supervision: spec.supervision.as_ref().and_then(label),
            grade_scheme: spec.grade_scheme.clone(),
            stackability: spec.stackability.clone(),
        }
    }

    /// Whether there is nothing to write (and so no need for the extension context).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Everything a credential says about one award, gathered by the service.
#[derive(Debug, Clone)]
pub struct AwardFacts<'a> {
    /// The credential's URL (`<public-url>/credentials/<uuid>`).
    pub id: String,
    /// The awarding body.
    pub issuer: &'a Issuer,
    /// The achievement's URL (`<public-url>/achievements/<uuid>`).
    pub achievement_url: String,
    /// The achievement's content.
    pub achievement: &'a AchievementSpec,
    /// The learner's name.
    pub recipient_name: &'a str,
    /// The learner's e-mail (hashed into the credential).
    pub recipient_email: &'a str,
    /// The learner's own identifier.
    pub recipient_id: Option<&'a str>,
    /// A grade or score.
    pub result: Option<&'a str>,
    /// Start of validity (the award date).
    pub valid_from: OffsetDateTime,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
}

impl OpenBadgeCredential {
    /// The unsigned credential for an award.
    pub fn award(facts: &AwardFacts<'_>) -> Self {
        let issuer = facts.issuer;
        let achievement = Achievement::from_spec(facts.achievement_url.clone(), facts.achievement);
        Self {
            context: achievement.contexts(),
            id: facts.id.clone(),
            kind: vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            issuer: Profile::of(issuer),
            valid_from: xsd_date_time(facts.valid_from),
            valid_until: facts.valid_until.map(xsd_date_time),
            name: achievement.name.clone(),
            description: None,
            credential_subject: AchievementSubject {
                id: facts.recipient_id.map(str::to_owned),
                kind: vec!["AchievementSubject".into()],
                name: Some(facts.recipient_name.to_owned()),
                identifier: vec![
                    IdentityObject::name(facts.recipient_name),
                    IdentityObject::hashed_email(facts.recipient_email),
                ],
                credits_earned: facts.achievement.ects,
                result: facts
                    .result
                    .map(|value| ResultEntry { kind: vec!["Result".into()], value: Some(value.to_owned()) })
                    .into_iter()
                    .collect(),
                achievement,
            },
            credential_status: None,
            related_resource: Vec::new(),
            proof: vec![],
        }
    }
}

impl Achievement {
    /// The OB 3.0 achievement for a catalogue entry, published at `id`. The EQF level is expressed as an
    /// alignment to the EQF vocabulary (`http://data.europa.eu/snb/eqf/<level>`), so OB displayers show it.
    pub fn from_spec(id: String, spec: &AchievementSpec) -> Self {
        let mut alignment: Vec<Alignment> = spec
            .alignments
            .iter()
            .map(|a| Alignment {
                kind: vec!["Alignment".into()],
                target_name: a.target_name.clone(),
                target_url: a.target_url.clone(),
                target_code: a.target_code.clone(),
                target_framework: a.target_framework.clone(),
            })
            .collect();
        if let Some(level) = spec.eqf_level {
            alignment.push(Alignment {
                kind: vec!["Alignment".into()],
                target_name: format!("EQF level {level}"),
                target_url: format!("http://data.europa.eu/snb/eqf/{level}"),
                target_code: Some(level.to_string()),
                target_framework: Some("European Qualifications Framework".into()),
            });
        }
        Self {
            id,
            kind: vec!["Achievement".into()],
            name: spec.name.clone(),
            description: spec.description.clone(),
            criteria: Criteria { narrative: spec.criteria.clone() },
            achievement_type: Some(spec.achievement_type.clone()),
            credits_available: spec.ects,
            in_language: spec.language.clone(),
            image: spec.image.as_ref().map(|u| Image { id: u.to_string(), kind: "Image".into() }),
            alignment,
            tag: spec.tags.clone(),
            eu: EuElements::from_spec(spec),
        }
    }

    /// The `@context` a document holding this achievement needs: [`eu_contexts`] when it carries EU
    /// elements beyond OB 3.0, else [`ob_contexts`].
    pub fn contexts(&self) -> Vec<Value> {
        if self.eu.is_empty() { ob_contexts() } else { eu_contexts() }
    }
}

/// OB 3.0 `Criteria`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// What a learner must do, in prose (Markdown allowed).
    pub narrative: String,
}

/// OB 3.0 `Alignment`. See <https://www.imsglobal.org/spec/ob/v3p0/#alignment>.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alignment {
    /// `["Alignment"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// Name of the skill or competency.
    #[serde(rename = "targetName")]
    pub target_name: String,
    /// Its URL (e.g. an ESCO concept).
    #[serde(rename = "targetUrl")]
    pub target_url: String,
    /// Code in the framework.
    #[serde(rename = "targetCode", default, skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    /// Framework name (e.g. "ESCO").
    #[serde(rename = "targetFramework", default, skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
}

/// OB 3.0 `Result` (a grade or score).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    /// `["Result"]`.
    #[serde(rename = "type")]
    pub kind: Vec<String>,
    /// The value, e.g. `"92"` or `"A"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl OpenBadgeCredential {
    /// The credential as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether `document` is exactly an `OpenBadgeCredential` of microcred's shape: it parses into the
    /// typed model and serializes back to the same JSON, so nothing outside the model is present. Only such
    /// documents take the canonicalization fast path.
    pub fn is_exact_shape(document: &Value) -> bool {
        serde_json::from_value::<Self>(document.clone())
            .is_ok_and(|c| c.context.iter().all(contexts::is_own_entry) && c.to_value() == *document)
    }

    /// Whether the contexts are [`ob_contexts`] and every `type` is the model's standard one, so that
    /// every term of the document is one the VC v2 and OB 3.0.3 contexts define (the fast-path tests
    /// canonicalize random credentials of this kind, which fails on any undefined term).
    pub fn has_standard_vocabulary(&self) -> bool {
        let is = |kind: &[String], expected: &[&str]| kind.iter().map(String::as_str).eq(expected.iter().copied());
        let subject = &self.credential_subject;
        let achievement = &subject.achievement;
        (self.context == ob_contexts() || self.context == eu_contexts())
            && is(&self.kind, &["VerifiableCredential", "OpenBadgeCredential"])
            && is(&self.issuer.kind, &["Profile"])
            && self.issuer.address.as_ref().is_none_or(|a| is(&a.kind, &["Address"]))
            && self.issuer.image.as_ref().is_none_or(|i| i.kind == "Image")
            && is(&subject.kind, &["AchievementSubject"])
            && subject.identifier.iter().all(|i| i.kind == "IdentityObject")
            && subject.result.iter().all(|r| is(&r.kind, &["Result"]))
            && is(&achievement.kind, &["Achievement"])
            && achievement.image.as_ref().is_none_or(|i| i.kind == "Image")
            && achievement.alignment.iter().all(|a| is(&a.kind, &["Alignment"]))
    }

    /// The learner's name as OB 3.0 displayers find it: the unhashed `name` identifier, else
    /// `credentialSubject.name`.
    pub fn learner_name(&self) -> Option<&str> {
        let subject = &self.credential_subject;
        subject
            .identifier
            .iter()
            .find(|i| i.identity_type == "name" && !i.hashed)
            .map(|i| i.identity_hash.as_str())
            .or(subject.name.as_deref())
    }
}

/// The learner's name as OB 3.0 displayers find it, from any credential JSON (ours or another issuer's).
pub fn learner_name_of(credential: &Value) -> Option<&str> {
    let subject = credential.get("credentialSubject")?;
    let subject = if let Value::Array(items) = subject { items.first()? } else { subject };
    let from_identifier = subject.get("identifier").and_then(|ids| {
        let ids = if let Value::Array(items) = ids { items.iter().collect::<Vec<_>>() } else { vec![ids] };
        ids.into_iter()
            .find(|i| {
                i.get("identityType").and_then(Value::as_str) == Some("name")
                    && i.get("hashed") == Some(&Value::Bool(false))
            })
            .and_then(|i| i.get("identityHash")?.as_str())
    });
    from_identifier.or_else(|| subject.get("name")?.as_str())
}

/// A realistic credential (about 2 KB) with Bulgarian, Greek, CJK and emoji text and every optional field
/// set: the reference input of the tests and benchmarks, and an example for integrators.
pub fn example(issuer_did: &str, base: &str) -> OpenBadgeCredential {
    OpenBadgeCredential {
        context: eu_contexts(),
        id: format!("{base}/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a"),
        kind: vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
        issuer: Profile {
            id: issuer_did.to_owned(),
            kind: vec!["Profile".into()],
            name: "Universal Certification Solutions — Σοφία".into(),
            url: Some("https://ucs.example.eu/".into()),
            email: Some("certs@ucs.example.eu".into()),
            description: Some("Сертифициращ орган за умни градове".into()),
            image: None,
            address: Some(Address { kind: vec!["Address".into()], address_country_code: "BG".into() }),
        },
        valid_from: "2026-01-15T09:30:00Z".into(),
        valid_until: Some("2031-01-15T09:30:00Z".into()),
        name: "Умни градове: основи".into(),
        description: Some("Awarded for completing the smart-city basics module 🏙️".into()),
        credential_subject: AchievementSubject {
            id: None,
            kind: vec!["AchievementSubject".into()],
            name: Some("Иван Петров".into()),
            identifier: vec![
                IdentityObject::name("Иван Петров"),
                IdentityObject::hashed_email_with_salt("ivan@example.bg", "c0ffee"),
            ],
            achievement: Achievement {
                id: format!("{base}/achievements/7b0e6a1c-2f7d-4d55-8c0b-9e2d3f4a5b6c"),
                kind: vec!["Achievement".into()],
                name: "Έξυπνες πόλεις: βασικές αρχές".into(),
                description: "Learning outcomes: 理解 smart-city data platforms; ¿Cómo? Perché no!".into(),
                criteria: Criteria {
                    narrative: "Pass the final assessment with at least 60 %.\nOnline, proctored.".into(),
                },
                achievement_type: Some("MicroCredential".into()),
                credits_available: Some(5.0),
                in_language: Some("bg".into()),
                image: None,
                alignment: vec![Alignment {
                    kind: vec!["Alignment".into()],
                    target_name: "manage smart city infrastructure".into(),
                    target_url: "http://data.europa.eu/esco/skill/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
                    target_code: Some("S1.2.3".into()),
                    target_framework: Some("ESCO".into()),
                }],
                tag: vec!["smart city".into(), "IoT".into()],
                eu: EuElements {
                    learning_outcome: vec![
                        "Explain how urban sensor networks feed a city data platform".into(),
                        "Описва европейската рамка за оперативна съвместимост".into(),
                    ],
                    workload_hours: Some(125.0),
                    assessment_type: Some("Online exam, proctored".into()),
                    participation_form: Some("online".into()),
                    quality_assurance: Some("Internal QA of the Erasmus+ consortium; external review by UCS".into()),
                    prerequisites: Some("Basic digital skills (DigComp level 3)".into()),
                    supervision: Some("supervised-with-identity-verification".into()),
                    grade_scheme: Some("0–100, pass mark 60".into()),
                    stackability: Some("Stackable towards the Smart City Specialist certificate".into()),
                },
            },
            credits_earned: Some(5.0),
            result: vec![ResultEntry { kind: vec!["Result".into()], value: Some("92".into()) }],
        },
        credential_status: None,
        related_resource: Vec::new(),
        proof: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_hashes_follow_the_ob_3_0_example() {
        // The OB 3.0 spec's example: sha256("a@example.com" + "Kosher").
        let id = IdentityObject::hashed_email_with_salt("a@example.com", "Kosher");
        assert!(id.identity_hash.starts_with("sha256$b5809d8a"), "{}", id.identity_hash);
        assert!(id.matches_email(" A@Example.com "));
        assert!(!id.matches_email("b@example.com"));
    }
}
