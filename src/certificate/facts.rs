//! What a certificate prints, read from the signed credential itself (never from the database), so that
//! the printed facts are the credential's and can be checked against it.

use serde_json::Value;
use time::OffsetDateTime;

use super::i18n::Labels;
use crate::vc::credential::learner_name_of;

/// The printable facts of an Open Badges 3.0 credential.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The awarding body's name.
    pub issuer: String,
    /// The awarding body's country, an ISO 3166-1 alpha-2 code (`issuer.address.addressCountryCode`), which an
    /// EU micro-credential states (Council Recommendation 2022/C 243/02, Annex I).
    pub issuer_country: Option<String>,
    /// The awarding body's logo (`issuer.image.id`), a URL.
    pub issuer_image: Option<String>,
    /// The learner's name.
    pub learner: String,
    /// The achievement's title.
    pub achievement: String,
    /// Whether the achievement is a `MicroCredential`.
    pub micro_credential: bool,
    /// The credential's `id` when it is an http(s) URL: the QR code's target.
    pub url: Option<String>,
    /// The credential's identifier as printed (the last segment of its URL, or its `id`).
    pub credential_id: String,
    /// `validFrom`.
    pub valid_from: Option<OffsetDateTime>,
    /// `validUntil`.
    pub valid_until: Option<OffsetDateTime>,
    /// ECTS credits (`creditsAvailable`).
    pub ects: Option<f64>,
    /// Notional workload in hours (extension `workloadHours`).
    pub hours: Option<f64>,
    /// EQF level, from an alignment to `http://data.europa.eu/snb/eqf/<n>`.
    pub eqf_level: Option<String>,
    /// Type of assessment.
    pub assessment: Option<String>,
    /// `online`, `onsite`, `blended` (or free text from another issuer).
    pub participation: Option<String>,
    /// Supervision and identity verification.
    pub supervision: Option<String>,
    /// Type of quality assurance.
    pub quality_assurance: Option<String>,
    /// Prerequisites.
    pub prerequisites: Option<String>,
    /// The first result's value.
    pub result: Option<String>,
    /// Learning outcomes.
    pub learning_outcomes: Vec<String>,
    /// The achievement's language (`inLanguage`).
    pub language: Option<String>,
}

/// The text of a property in `lang`: a plain string, a VC 2.0 language value object
/// (`{"@value", "@language"}`), or an array of them (the one in `lang`, else the first).
pub fn text_in(value: Option<&Value>, lang: &str) -> Option<String> {
    let primary = |tag: &str| tag.split('-').next().unwrap_or_default().to_ascii_lowercase();
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("@value").and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items
            .iter()
            .find(|item| item.get("@language").and_then(Value::as_str).is_some_and(|l| primary(l) == primary(lang)))
            .or_else(|| items.first())
            .and_then(|item| text_in(Some(item), lang)),
        _ => None,
    }
}

fn first_object(value: Option<&Value>) -> Option<&Value> {
    match value? {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

fn date(value: Option<&Value>) -> Option<OffsetDateTime> {
    crate::domain::xsd::parse_date_time_stamp(value?.as_str()?)
}

impl Facts {
    /// Reads the facts of `credential`, choosing `lang` where it carries several languages.
    pub fn of(credential: &Value, lang: &str) -> Self {
        let subject = first_object(credential.get("credentialSubject"));
        let achievement = subject.and_then(|s| s.get("achievement"));
        let field = |key: &str| achievement.and_then(|a| text_in(a.get(key), lang));
        let issuer = match credential.get("issuer") {
            Some(Value::String(id)) => id.clone(),
            Some(object) => text_in(object.get("name"), lang)
                .or_else(|| object.get("id").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default(),
            None => String::new(),
        };
        let id = credential.get("id").and_then(Value::as_str).unwrap_or_default();
        let url = (id.starts_with("https://") || id.starts_with("http://")).then(|| id.to_owned());
        let eqf_level =
            achievement.and_then(|a| a.get("alignment")).and_then(Value::as_array).into_iter().flatten().find_map(
                |a| a.get("targetUrl")?.as_str()?.strip_prefix("http://data.europa.eu/snb/eqf/").map(str::to_owned),
            );
        let learning_outcomes = match achievement.and_then(|a| a.get("learningOutcome")) {
            Some(Value::Array(items)) => items.iter().filter_map(|i| text_in(Some(i), lang)).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => vec![],
        };
        let number = |key: &str| achievement.and_then(|a| a.get(key)).and_then(Value::as_f64);
        let issuer_country = credential
            .get("issuer")
            .and_then(|i| i.get("address"))
            .and_then(|a| a.get("addressCountryCode"))
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .map(str::to_owned);
        let issuer_image = credential
            .get("issuer")
            .and_then(|i| i.get("image"))
            .and_then(|i| i.get("id").or(Some(i)))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Facts {
            issuer,
            issuer_country,
            issuer_image,
            learner: learner_name_of(credential).unwrap_or_default().to_owned(),
            achievement: field("name").or_else(|| text_in(credential.get("name"), lang)).unwrap_or_default(),
            micro_credential: achievement.and_then(|a| a.get("achievementType")).and_then(Value::as_str)
                == Some("MicroCredential"),
            credential_id: id.rsplit('/').next().unwrap_or(id).to_owned(),
            url,
            valid_from: date(credential.get("validFrom")).or_else(|| date(credential.get("issuanceDate"))),
            valid_until: date(credential.get("validUntil")).or_else(|| date(credential.get("expirationDate"))),
            ects: number("creditsAvailable"),
            hours: number("workloadHours"),
            eqf_level,
            assessment: field("assessmentType"),
            participation: field("participationForm"),
            supervision: field("supervision"),
            quality_assurance: field("qualityAssurance"),
            prerequisites: field("prerequisites"),
            result: first_object(subject.and_then(|s| s.get("result")))
                .and_then(|r| r.get("value"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            learning_outcomes,
            language: achievement.and_then(|a| a.get("inLanguage")).and_then(Value::as_str).map(str::to_owned),
        }
    }

    /// The value of a `facts` row in `labels`' language, if the credential has it.
    pub fn row(&self, key: &str, labels: &Labels) -> Option<String> {
        let translated = |value: &Option<String>| {
            value.as_ref().map(|v| if labels.get(v) == v { v.clone() } else { labels.get(v).to_owned() })
        };
        match key {
            "date_of_issue" => self.valid_from.map(|d| labels.date(d.date())),
            "valid_until" => self.valid_until.map(|d| labels.date(d.date())),
            "issuer_country" => self.issuer_country.as_deref().map(|c| labels.country(c)),
            "workload" => match (self.ects, self.hours) {
                (Some(e), Some(h)) => {
                    Some(labels.format("ects_and_hours", &[("ects", &labels.number(e)), ("hours", &labels.number(h))]))
                }
                (Some(e), None) => Some(labels.format("ects", &[("ects", &labels.number(e))])),
                (None, Some(h)) => Some(labels.format("hours", &[("hours", &labels.number(h))])),
                (None, None) => None,
            },
            "eqf_level" => self.eqf_level.clone(),
            "assessment" => self.assessment.clone(),
            "participation" => translated(&self.participation),
            "supervision" => translated(&self.supervision),
            "quality_assurance" => self.quality_assurance.clone(),
            "prerequisites" => self.prerequisites.clone(),
            "result" => self.result.clone(),
            "credential_id" => (!self.credential_id.is_empty()).then(|| self.credential_id.clone()),
            _ => None,
        }
    }

    /// The text behind a `{placeholder}` of a template.
    pub fn placeholder(&self, name: &str, labels: &Labels) -> Option<String> {
        if let Some(key) = name.strip_prefix("label.") {
            return Some(labels.get(key).to_owned());
        }
        Some(match name {
            "issuer" => self.issuer.clone(),
            "learner" => self.learner.clone(),
            "achievement" => self.achievement.clone(),
            "url" => self.url.clone().unwrap_or_default(),
            "credential_id" => self.credential_id.clone(),
            "date_of_issue" => self.row("date_of_issue", labels).unwrap_or_default(),
            "kicker" => labels.get(if self.micro_credential { "kicker" } else { "kicker_generic" }).to_owned(),
            "completed" => labels.get(if self.micro_credential { "completed_micro" } else { "completed" }).to_owned(),
            _ => return None,
        })
    }

    /// `text` with every `{placeholder}` filled in (unknown ones are left as written).
    pub fn fill(&self, text: &str, labels: &Labels) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| Some((close, self.placeholder(&after[..close], labels)?))) {
                Some((close, value)) => {
                    out.push_str(&value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vc::credential::example;

    #[test]
    fn facts_come_from_the_credential() {
        let credential = example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu").to_value();
        let facts = Facts::of(&credential, "en");
        assert_eq!(facts.learner, "Иван Петров");
        assert_eq!(facts.achievement, "Έξυπνες πόλεις: βασικές αρχές");
        assert!(facts.micro_credential);
        assert_eq!(
            facts.url.as_deref(),
            Some("https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a")
        );
        assert_eq!(facts.credential_id, "6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a");
        assert_eq!(facts.learning_outcomes.len(), 2);
        let bg = Labels::for_tag("bg");
        assert_eq!(facts.row("workload", bg).as_deref(), Some("5 кредита ECTS (125 часа)"));
        assert_eq!(facts.row("participation", bg).as_deref(), Some("Онлайн"));
        assert_eq!(facts.row("date_of_issue", bg).as_deref(), Some("15 януари 2026 г."));
        assert_eq!(
            facts.fill("{learner} — {label.result}: {result} {nope}", Labels::for_tag("it")),
            "Иван Петров — Risultato: {result} {nope}"
        );
    }

    #[test]
    fn language_value_objects_pick_the_wanted_language() {
        let names =
            json!([{"@value": "Smart cities", "@language": "en"}, {"@value": "Умни градове", "@language": "bg"}]);
        assert_eq!(text_in(Some(&names), "bg-BG").as_deref(), Some("Умни градове"));
        assert_eq!(text_in(Some(&names), "it").as_deref(), Some("Smart cities"));
        assert_eq!(text_in(Some(&json!({"@value": "Città", "@language": "it"})), "en").as_deref(), Some("Città"));
    }
}
