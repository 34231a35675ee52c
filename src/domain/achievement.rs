//! Achievements: the modules a learner can complete, with what Open Badges 3.0 needs and the elements the
//! EU Council Recommendation on micro-credentials (2022/C 243/02, Annex I) requires.
//!
//! Mandatory for a `MicroCredential`: title, awarding body and its country (from the issuer), learning
//! outcomes, notional workload (ECTS and/or hours), type of assessment, form of participation, type of
//! quality assurance; the EQF level "where applicable". Optional: prerequisites, supervision and identity
//! verification, grade scheme, stackability, language. `docs/eu-microcredential-mapping.md` says where
//! each goes in the credential.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::issuer::{Issuer, IssuerId, check_text, parse_http_url};
use super::validation::ValidationErrors;

/// Database identity of an achievement, also the last segment of its public URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct AchievementId(pub Uuid);

impl fmt::Display for AchievementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The OB 3.0 `achievementType` vocabulary (an `ext:` name extends it).
pub const ACHIEVEMENT_TYPES: [&str; 31] = [
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
];

/// Form of participation in the learning activity (EU recommendation, Annex I (j)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Participation {
    /// Online.
    Online,
    /// On site.
    Onsite,
    /// Both.
    Blended,
}

/// Supervision and identity verification during assessment (EU recommendation, Annex I, optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Supervision {
    /// Unsupervised, no identity verification.
    Unsupervised,
    /// Supervised, no identity verification.
    Supervised,
    /// Supervised online or on site, with identity verification.
    SupervisedWithIdentityVerification,
}

/// An alignment to a skills framework (ESCO, a national framework…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlignmentSpec {
    /// Name of the skill or competency.
    pub target_name: String,
    /// Its URL, e.g. an ESCO concept URI.
    pub target_url: String,
    /// Its code in the framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_code: Option<String>,
    /// The framework's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
}

/// A validated achievement: what the API returns and what credentials are built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AchievementSpec {
    /// Title.
    pub name: String,
    /// Description.
    pub description: String,
    /// How it is earned (criteria narrative, Markdown allowed).
    pub criteria: String,
    /// OB 3.0 achievement type.
    pub achievement_type: String,
    /// What the learner knows or can do afterwards.
    #[serde(default)]
    pub learning_outcomes: Vec<String>,
    /// Notional workload in ECTS credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ects: Option<f64>,
    /// Notional workload in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// EQF level, 1–8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eqf_level: Option<u8>,
    /// Type of assessment (e.g. "Written exam, proctored").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_type: Option<String>,
    /// Form of participation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participation: Option<Participation>,
    /// Type of quality assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_assurance: Option<String>,
    /// Language (BCP 47, e.g. "bg", "el-GR").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Skills-framework alignments.
    #[serde(default)]
    pub alignments: Vec<AlignmentSpec>,
    /// Badge image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Url>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Prerequisites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<String>,
    /// Supervision and identity verification during assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervision: Option<Supervision>,
    /// Grading scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_scheme: Option<String>,
    /// Integration and stackability options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stackability: Option<String>,
    /// The certificate template its PDFs use (`templates/certificates/<name>.toml`); the default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_template: Option<String>,
    /// How long its awards stay valid (ISO 8601 duration, e.g. `P3Y`): an award without its own
    /// `valid_until` gets `validUntil` = award date + this. Changing it affects later awards only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "P3Y")]
    pub validity: Option<crate::domain::lifecycle::Validity>,
}

/// An achievement as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Achievement {
    /// Identity.
    pub id: AchievementId,
    /// The awarding issuer.
    pub issuer_id: IssuerId,
    /// Its content.
    #[serde(flatten)]
    pub spec: AchievementSpec,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The body of `POST /api/v1/achievements` (and, merged over the stored one, of `PATCH`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    /// Slug of the awarding issuer: required for admins, implied for assessors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// See [`AchievementSpec::name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// See [`AchievementSpec::description`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// See [`AchievementSpec::criteria`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
    /// See [`AchievementSpec::achievement_type`]; default `Achievement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement_type: Option<String>,
    /// See [`AchievementSpec::learning_outcomes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_outcomes: Option<Vec<String>>,
    /// See [`AchievementSpec::ects`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ects: Option<f64>,
    /// See [`AchievementSpec::hours`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// See [`AchievementSpec::eqf_level`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eqf_level: Option<i64>,
    /// See [`AchievementSpec::assessment_type`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_type: Option<String>,
    /// `online`, `onsite` or `blended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participation: Option<String>,
    /// See [`AchievementSpec::quality_assurance`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_assurance: Option<String>,
    /// See [`AchievementSpec::language`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// See [`AchievementSpec::alignments`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignments: Option<Vec<AlignmentSpec>>,
    /// See [`AchievementSpec::image`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// See [`AchievementSpec::tags`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// See [`AchievementSpec::prerequisites`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<String>,
    /// `unsupervised`, `supervised` or `supervised-with-identity-verification`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervision: Option<String>,
    /// See [`AchievementSpec::grade_scheme`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_scheme: Option<String>,
    /// See [`AchievementSpec::stackability`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stackability: Option<String>,
    /// See [`AchievementSpec::certificate_template`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_template: Option<String>,
    /// See [`AchievementSpec::validity`]: an ISO 8601 duration (`"P3Y"`, `"P18M"`, `"P90D"`) or a number of
    /// months; `null` in a `PATCH` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "P3Y")]
    pub validity: Option<serde_json::Value>,
}

/// Longest free text accepted in an achievement field, in characters.
const MAX_TEXT: usize = 10_000;

fn text(errors: &mut ValidationErrors, field: &str, value: Option<&str>, required: bool) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => {
            if required {
                errors.add(field, "is required");
            }
            None
        }
        Some(v) => errors.check(field, check_text(v, MAX_TEXT)),
    }
}

/// Whether `tag` is a language tag of the shape the OB 3.0 schema accepts (`en`, `bg-BG`, `zh-Hant-TW`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    if !(2..=4).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let mut rest: Vec<&str> = parts.collect();
    if let Some(script) = rest.first()
        && script.len() == 4
    {
        let mut chars = script.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_lowercase());
        if !ok {
            return false;
        }
        rest.remove(0);
    }
    match rest.as_slice() {
        [] => true,
        [region] => {
            (region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase()))
                || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => false,
    }
}

impl AchievementInput {
    /// Validates the input for `issuer`, listing every problem at once. A `MicroCredential` missing any
    /// element the EU recommendation makes mandatory is refused, each missing element named.
    pub fn validate(self, issuer: &Issuer) -> Result<AchievementSpec, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let name = text(&mut e, "name", self.name.as_deref(), true);
        let description = text(&mut e, "description", self.description.as_deref(), true);
        let criteria = text(&mut e, "criteria", self.criteria.as_deref(), true);
        let achievement_type = self.achievement_type.unwrap_or_else(|| "Achievement".to_owned());
        let known = ACHIEVEMENT_TYPES.contains(&achievement_type.as_str())
            || achievement_type.strip_prefix("ext:").is_some_and(|n| {
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            });
        if !known {
            e.add(
                "achievement_type",
                "must be an Open Badges 3.0 achievement type (e.g. MicroCredential, Certificate, Badge) or ext:Name",
            );
        }
        let micro = achievement_type == "MicroCredential";

        let mut learning_outcomes = Vec::new();
        for (i, outcome) in self.learning_outcomes.unwrap_or_default().iter().enumerate() {
            if let Some(o) = text(&mut e, &format!("learning_outcomes[{i}]"), Some(outcome), true) {
                // The credential's outcomes are a JSON-LD set, where a repeated one would be a single statement.
                if let Some(first) = learning_outcomes.iter().position(|seen: &String| *seen == o) {
                    e.add(format!("learning_outcomes[{i}]"), format!("repeats learning_outcomes[{first}]"));
                } else {
                    learning_outcomes.push(o);
                }
            }
        }
        let workload = |e: &mut ValidationErrors, field: &str, v: Option<f64>| match v {
            Some(v) if !(v.is_finite() && v > 0.0 && v <= 10_000.0) => {
                e.add(field, "must be a positive number");
                None
            }
            // Credits and hours come in halves and quarters; more decimals are a typing slip, and would
            // need more digits than signed JSON-LD numbers keep exactly.
            Some(v) if ((v * 100.0).round() - v * 100.0).abs() > 1e-9 => {
                e.add(field, "must have at most two decimal places");
                None
            }
            v => v,
        };
        let ects = workload(&mut e, "ects", self.ects);
        let hours = workload(&mut e, "hours", self.hours);
        let eqf_level = match self.eqf_level {
            None => None,
            Some(level @ 1..=8) => u8::try_from(level).ok(),
            Some(_) => {
                e.add("eqf_level", "must be an EQF level from 1 to 8");
                None
            }
        };
        let assessment_type = text(&mut e, "assessment_type", self.assessment_type.as_deref(), false);
        let participation = self.participation.as_deref().and_then(|p| match p {
            "online" => Some(Participation::Online),
            "onsite" | "on-site" => Some(Participation::Onsite),
            "blended" => Some(Participation::Blended),
            _ => {
                e.add("participation", "must be online, onsite or blended");
                None
            }
        });
        let quality_assurance = text(&mut e, "quality_assurance", self.quality_assurance.as_deref(), false);
        let language = self.language.as_deref().map(str::trim).and_then(|l| {
            if is_language_tag(l) {
                Some(l.to_owned())
            } else {
                e.add("language", "must be a language tag such as bg, el-GR or es");
                None
            }
        });
        let mut alignments = Vec::new();
        for (i, a) in self.alignments.unwrap_or_default().into_iter().enumerate() {
            let at = |f: &str| format!("alignments[{i}].{f}");
            let target_name = text(&mut e, &at("target_name"), Some(&a.target_name), true);
            let target_url = e.check(&at("target_url"), parse_http_url(&a.target_url));
            let target_code = text(&mut e, &at("target_code"), a.target_code.as_deref(), false);
            let target_framework = text(&mut e, &at("target_framework"), a.target_framework.as_deref(), false);
            if let (Some(target_name), Some(target_url)) = (target_name, target_url) {
                alignments.push(AlignmentSpec {
                    target_name,
                    target_url: target_url.to_string(),
                    target_code,
                    target_framework,
                });
            }
        }
        let image = self.image.as_deref().and_then(|u| e.check("image", parse_http_url(u)));
        let mut tags = Vec::new();
        for (i, tag) in self.tags.unwrap_or_default().iter().enumerate() {
            if let Some(t) = text(&mut e, &format!("tags[{i}]"), Some(tag), true) {
                tags.push(t);
            }
        }
        let prerequisites = text(&mut e, "prerequisites", self.prerequisites.as_deref(), false);
        let supervision = self.supervision.as_deref().and_then(|s| match s {
            "unsupervised" => Some(Supervision::Unsupervised),
            "supervised" => Some(Supervision::Supervised),
            "supervised-with-identity-verification" => Some(Supervision::SupervisedWithIdentityVerification),
            _ => {
                e.add("supervision", "must be unsupervised, supervised or supervised-with-identity-verification");
                None
            }
        });
        let grade_scheme = text(&mut e, "grade_scheme", self.grade_scheme.as_deref(), false);
        let stackability = text(&mut e, "stackability", self.stackability.as_deref(), false);
        let certificate_template = self.certificate_template.filter(|t| !t.is_empty()).and_then(|t| {
            let valid = t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            e.check(
                "certificate_template",
                if valid { Ok(t) } else { Err("must be a template name: letters, digits, - and _") },
            )
        });

        let validity = match self.validity {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => {
                e.check("validity", crate::domain::lifecycle::Validity::parse(&text))
            }
            Some(serde_json::Value::Number(n)) => e.check(
                "validity",
                n.as_u64()
                    .ok_or("must be a whole number of months")
                    .and_then(crate::domain::lifecycle::Validity::months),
            ),
            Some(_) => {
                e.add("validity", "must be an ISO 8601 duration such as P3Y, or a number of months");
                None
            }
        };

        if micro {
            // EU Council Recommendation 2022/C 243/02, Annex I: mandatory elements.
            const WHY: &str =
                "is required for a MicroCredential (EU Council Recommendation on micro-credentials, Annex I)";
            if learning_outcomes.is_empty() && !e.0.iter().any(|f| f.field.starts_with("learning_outcomes")) {
                e.add("learning_outcomes", WHY);
            }
            if ects.is_none() && hours.is_none() && !e.0.iter().any(|f| f.field == "ects" || f.field == "hours") {
                e.add("ects", format!("or hours (the notional workload) {WHY}"));
            }
            for (field, missing) in [
                ("assessment_type", assessment_type.is_none()),
                ("participation", participation.is_none()),
                ("quality_assurance", quality_assurance.is_none()),
            ] {
                if missing && !e.0.iter().any(|f| f.field == field) {
                    e.add(field, WHY);
                }
            }
            if issuer.country.is_none() {
                e.add("issuer.country", format!(
                    "the awarding body's country {WHY}; set the issuer's country first (PATCH /api/v1/issuers/{{slug}} \
                     with {{\"country\": \"BG\"}}, or microcred issuer update SLUG --country BG)"
                ));
            }
        }
        match (name, description, criteria) {
            (Some(name), Some(description), Some(criteria)) if e.0.is_empty() => Ok(AchievementSpec {
                name,
                description,
                criteria,
                achievement_type,
                learning_outcomes,
                ects,
                hours,
                eqf_level,
                assessment_type,
                participation,
                quality_assurance,
                language,
                alignments,
                image,
                tags,
                prerequisites,
                supervision,
                grade_scheme,
                stackability,
                certificate_template,
                validity,
            }),
            _ => Err(e),
        }
    }
}

impl From<&AchievementSpec> for AchievementInput {
    fn from(s: &AchievementSpec) -> Self {
        Self {
            issuer: None,
            name: Some(s.name.clone()),
            description: Some(s.description.clone()),
            criteria: Some(s.criteria.clone()),
            achievement_type: Some(s.achievement_type.clone()),
            learning_outcomes: Some(s.learning_outcomes.clone()),
            ects: s.ects,
            hours: s.hours,
            eqf_level: s.eqf_level.map(i64::from),
            assessment_type: s.assessment_type.clone(),
            participation: s.participation.as_ref().map(wire_name),
            quality_assurance: s.quality_assurance.clone(),
            language: s.language.clone(),
            alignments: Some(s.alignments.clone()),
            image: s.image.as_ref().map(Url::to_string),
            tags: Some(s.tags.clone()),
            prerequisites: s.prerequisites.clone(),
            supervision: s.supervision.as_ref().map(wire_name),
            grade_scheme: s.grade_scheme.clone(),
            stackability: s.stackability.clone(),
            certificate_template: s.certificate_template.clone(),
            validity: s.validity.map(|v| serde_json::Value::String(v.to_iso8601())),
        }
    }
}

/// The wire name of a unit enum variant (its serde string).
fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::issuer::DidMethod;

    fn issuer(country: Option<&str>) -> Issuer {
        Issuer {
            id: IssuerId(Uuid::nil()),
            slug: "ucs".parse().unwrap(),
            did: "did:web:x:issuers:ucs".into(),
            did_method: DidMethod::Web,
            name: "UCS".into(),
            url: None,
            email: None,
            country: country.map(|c| c.parse().unwrap()),
            description: None,
            logo_url: None,
            suspension_enabled: false,
            mail: Default::default(),
            holder_binding_required: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn fields(errors: &ValidationErrors) -> Vec<&str> {
        errors.0.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_micro_credential_without_the_eu_elements_is_refused_naming_each() {
        let input = AchievementInput {
            name: Some("Smart city basics".into()),
            description: Some("Basics".into()),
            criteria: Some("Pass the exam".into()),
            achievement_type: Some("MicroCredential".into()),
            ..Default::default()
        };
        let errors = input.validate(&issuer(None)).unwrap_err();
        assert_eq!(
            fields(&errors),
            ["learning_outcomes", "ects", "assessment_type", "participation", "quality_assurance", "issuer.country"]
        );
        assert!(errors.0[1].message.contains("hours"));
    }

    #[test]
    fn a_complete_micro_credential_keeps_every_script() {
        let input = AchievementInput {
            name: Some("Умни градове".into()),
            description: Some("Έξυπνες πόλεις".into()),
            criteria: Some("Aprobar el examen".into()),
            achievement_type: Some("MicroCredential".into()),
            learning_outcomes: Some(vec!["Comprendere le piattaforme dati 🏙️".into()]),
            hours: Some(30.0),
            eqf_level: Some(6),
            assessment_type: Some("Written exam".into()),
            participation: Some("blended".into()),
            quality_assurance: Some("ISO 21001".into()),
            language: Some("bg".into()),
            ..Default::default()
        };
        let spec = input.validate(&issuer(Some("BG"))).unwrap();
        assert_eq!(spec.name, "Умни градове");
        assert_eq!(spec.participation, Some(Participation::Blended));
        let back = AchievementInput::from(&spec).validate(&issuer(Some("BG"))).unwrap();
        assert_eq!(back, spec, "a stored spec converts back to an input that validates to itself");
    }

    #[test]
    fn other_types_need_only_the_open_badges_fields_and_bad_values_are_named() {
        let input = AchievementInput {
            name: Some("Badge".into()),
            description: Some("d".into()),
            criteria: Some("c".into()),
            achievement_type: Some("Nonsense".into()),
            eqf_level: Some(9),
            participation: Some("remote".into()),
            language: Some("english".into()),
            ects: Some(-1.0),
            ..Default::default()
        };
        let errors = input.validate(&issuer(None)).unwrap_err();
        assert_eq!(fields(&errors), ["achievement_type", "ects", "eqf_level", "participation", "language"]);
    }

    #[test]
    fn repeated_outcomes_and_credits_with_more_than_two_decimals_are_named() {
        let input = AchievementInput {
            name: Some("Badge".into()),
            description: Some("d".into()),
            criteria: Some("c".into()),
            learning_outcomes: Some(vec!["Plan a sensor network".into(), "Plan a sensor network".into()]),
            ects: Some(99.094_201_789_446_36),
            hours: Some(7.25),
            ..Default::default()
        };
        let errors = input.validate(&issuer(None)).unwrap_err();
        assert_eq!(fields(&errors), ["learning_outcomes[1]", "ects"]);
        assert!(errors.0[0].message.contains("repeats learning_outcomes[0]"));
    }

    #[test]
    fn language_tags_follow_the_ob_schema_shape() {
        for ok in ["en", "bg-BG", "zh-Hant-TW", "es-419"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "EN", "english", "bg_BG", "bg-bg", "zh-hant-TW"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
