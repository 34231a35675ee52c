//! Awards: an assessor's request to issue an achievement's credential to a learner.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::achievement::{AchievementId, is_language_tag};
use super::api_key::ApiKeyId;
use super::issuer::{Email, IssuerId, check_text};
use super::status::StatusSlot;
use super::validation::ValidationErrors;
use super::xsd::{is_url, parse_date_time_stamp};

/// Identity of an issued credential: a random UUID (never sequential), the last segment of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CredentialId(pub Uuid);

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The learner, as the assessor names them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientInput {
    /// Full name, in any script.
    pub name: Option<String>,
    /// E-mail address (stored; only its salted hash goes into the credential).
    pub email: Option<String>,
    /// The learner's own identifier (a DID or URL), if they have one.
    pub id: Option<String>,
}

/// The body of `POST /api/v1/credentials`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    /// The achievement awarded.
    pub achievement_id: Option<String>,
    /// The learner.
    pub recipient: Option<RecipientInput>,
    /// A result such as a grade or score.
    pub result: Option<String>,
    /// When it was awarded: RFC 3339 with a time zone, or a plain date (`2026-01-15`, the start of that day
    /// in UTC); default now. Becomes `validFrom`.
    pub awarded_at: Option<String>,
    /// When it expires, if it does: RFC 3339 with a time zone, or a plain date (`2027-01-15`, the end of that
    /// day in UTC, 23:59:59). Becomes `validUntil`.
    pub valid_until: Option<String>,
    /// Language for the learner's documents (certificate labels), BCP 47.
    pub language: Option<String>,
    /// Award even if this learner already holds this achievement.
    pub allow_duplicate: Option<bool>,
    /// E-mail the credential to the learner (default true); `false` for issuers that deliver it themselves.
    pub notify: Option<bool>,
}

/// A validated award request.
#[derive(Debug, Clone, PartialEq)]
pub struct Award {
    /// See [`AwardInput::achievement_id`].
    pub achievement_id: AchievementId,
    /// Learner's name.
    pub name: String,
    /// Learner's e-mail address, trimmed and lower-cased.
    pub email: Email,
    /// Learner's own identifier.
    pub recipient_id: Option<String>,
    /// See [`AwardInput::result`].
    pub result: Option<String>,
    /// See [`AwardInput::awarded_at`].
    pub awarded_at: Option<OffsetDateTime>,
    /// See [`AwardInput::valid_until`].
    pub valid_until: Option<OffsetDateTime>,
    /// See [`AwardInput::language`].
    pub language: Option<String>,
    /// See [`AwardInput::allow_duplicate`].
    pub allow_duplicate: bool,
    /// See [`AwardInput::notify`].
    pub notify: bool,
}

/// Longest learner name accepted, in characters (long enough for any real name with titles).
pub const MAX_RECIPIENT_NAME: usize = 300;

/// What a certificate can print. The certificate's font chain answers
/// ([`crate::certificate::FontChain`]); the domain only asks, so that it stays free of fonts and files.
pub trait Printable {
    /// The characters of `text` that cannot be printed, each once, in order of appearance.
    fn unprintable(&self, text: &str) -> Vec<char>;
}

/// Prints everything (for validation that does not concern a certificate).
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyText;

impl Printable for AnyText {
    fn unprintable(&self, _text: &str) -> Vec<char> {
        Vec::new()
    }
}

/// `Err` naming the characters of `text` that `printer` cannot print, as code points and characters:
/// `these characters cannot be printed on the certificate: U+1F600 😀, U+E000 \u{e000}`.
pub fn check_printable(printer: &dyn Printable, text: &str) -> Result<(), String> {
    let missing = printer.unprintable(text);
    if missing.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = missing
        .iter()
        .map(|c| {
            let shown = if c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            };
            format!("U+{:04X} {shown}", u32::from(*c))
        })
        .collect();
    Err(format!("these characters cannot be printed on the certificate: {}", named.join(", ")))
}

impl AwardInput {
    /// Validates every field, reporting all problems at once (without asking whether the certificate can
    /// print them: see [`AwardInput::validate_printable`]).
    pub fn validate(self) -> Result<Award, ValidationErrors> {
        self.validate_printable(&AnyText)
    }

    /// Validates every field, reporting all problems at once, and refuses a learner name or result with
    /// characters that `printer` cannot print (a certificate would misprint them).
    ///
    /// # Errors
    /// Every problem, by field (`recipient.name`, `result`, …).
    pub fn validate_printable(self, printer: &dyn Printable) -> Result<Award, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let achievement_id = match self.achievement_id.as_deref() {
            None => {
                e.add("achievement_id", "is required");
                None
            }
            Some(id) => e.check(
                "achievement_id",
                Uuid::try_parse(id).map(AchievementId).map_err(|_| "must be an achievement id"),
            ),
        };
        let recipient = self.recipient.unwrap_or_default();
        let name = match recipient.name.as_deref().map(str::trim) {
            None | Some("") => {
                e.add("recipient.name", "is required");
                None
            }
            Some(n) => e.check(
                "recipient.name",
                check_text(n, MAX_RECIPIENT_NAME)
                    .and_then(|n| {
                        if n.contains(['\n', '\r', '\t']) { Err("must be on one line".to_owned()) } else { Ok(n) }
                    })
                    .and_then(|n| check_printable(printer, &n).map(|()| n)),
            ),
        };
        let email = match recipient.email.as_deref() {
            None => {
                e.add("recipient.email", "is required");
                None
            }
            Some(m) => e.check("recipient.email", m.trim().to_lowercase().parse::<Email>()),
        };
        let recipient_id = recipient.id.and_then(|id| {
            if is_url(&id) {
                Some(id)
            } else {
                e.add("recipient.id", "must be a URL or DID");
                None
            }
        });
        let result =
            self.result.as_deref().map(str::trim).filter(|r| !r.is_empty()).and_then(|r| {
                e.check("result", check_text(r, 200).and_then(|r| check_printable(printer, &r).map(|()| r)))
            });
        let date = |e: &mut ValidationErrors, field: &str, v: Option<&str>, day_ends: bool| {
            v.and_then(|v| match award_time(v.trim(), day_ends) {
                Some(t) => Some(t),
                None => {
                    e.add(
                        field,
                        "must be a date such as 2026-06-30 or an RFC 3339 date-time with a time zone such as \
                         2026-06-30T12:00:00Z",
                    );
                    None
                }
            })
        };
        let awarded_at = date(&mut e, "awarded_at", self.awarded_at.as_deref(), false);
        let valid_until = date(&mut e, "valid_until", self.valid_until.as_deref(), true);
        if let (Some(until), from) = (valid_until, awarded_at.unwrap_or_else(OffsetDateTime::now_utc))
            && until <= from
        {
            e.add("valid_until", "must be later than the award date");
        }
        let language = self.language.and_then(|l| {
            if is_language_tag(&l) {
                Some(l)
            } else {
                e.add("language", "must be a language tag such as bg, el or es");
                None
            }
        });
        match (achievement_id, name, email) {
            (Some(achievement_id), Some(name), Some(email)) if e.0.is_empty() => Ok(Award {
                achievement_id,
                name,
                email,
                recipient_id,
                result,
                awarded_at,
                valid_until,
                language,
                allow_duplicate: self.allow_duplicate.unwrap_or(false),
                notify: self.notify.unwrap_or(true),
            }),
            _ => Err(e),
        }
    }
}

/// An issued credential as stored. The signed document is kept as JSON text: it is stored and served as
/// issued, and a batch of thousands stays small in memory.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    /// Identity.
    pub id: CredentialId,
    /// The issuer that signed it.
    pub issuer_id: IssuerId,
    /// The achievement awarded (none for a credential issued through the VC-API).
    pub achievement_id: Option<AchievementId>,
    /// Learner's name (awards only).
    pub recipient_name: Option<String>,
    /// Learner's e-mail, lower-cased (awards only).
    pub recipient_email: Option<String>,
    /// The salted hash the learner's space finds it by (awards only; see `service/learners.rs`).
    pub recipient_lookup: Option<[u8; 32]>,
    /// The credential's own `id` when the VC-API caller chose it (awards' ids are their public URL).
    pub external_id: Option<String>,
    /// The signed credential, exactly as issued.
    pub document: Box<serde_json::value::RawValue>,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub valid_until: Option<OffsetDateTime>,
    /// Language for the learner's documents.
    pub language: Option<String>,
    /// Whether it was issued as an allowed duplicate.
    pub allow_duplicate: bool,
    /// The `Idempotency-Key` it was issued under.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request that created it (to recognise retries).
    pub request_hash: Option<[u8; 32]>,
    /// The API key that issued it.
    pub api_key_id: Option<ApiKeyId>,
    /// Its revocation bit.
    pub status: Option<StatusSlot>,
    /// Its suspension bit, when its issuer enables suspension.
    pub suspension: Option<StatusSlot>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// The reason the credential's page shows for its revocation, if the assessor gave one.
    pub revocation_public_reason: Option<String>,
    /// When it was suspended (cleared on reinstatement).
    pub suspended_at: Option<OffsetDateTime>,
    /// Why it was suspended.
    pub suspension_reason: Option<String>,
    /// The reason the credential's page shows for its suspension, if the assessor gave one.
    pub suspension_public_reason: Option<String>,
    /// When a suspension not lifted by then becomes a revocation ("withdrawn").
    pub suspended_until: Option<OffsetDateTime>,
    /// The renewal that supersedes it.
    pub superseded_by: Option<CredentialId>,
    /// The corrected credential that replaced it (it is revoked).
    pub replaced_by: Option<CredentialId>,
}

/// Why a credential is revoked or suspended: a note for assessors and the audit log, and optionally a reason
/// for the public page (an assessor's note such as "plagiarism found" is not for the learner's employers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReasons<'a> {
    /// For the issuer's assessors and the audit log.
    pub note: &'a str,
    /// Shown on the credential's page, if given.
    pub public: Option<&'a str>,
    /// For a suspension: when it becomes a revocation if not lifted by then.
    pub until: Option<OffsetDateTime>,
}

impl Award {
    /// When the credential expires: the award's own `valid_until`, else `valid_from` plus the achievement's
    /// validity, else never.
    pub fn valid_until_from(
        &self,
        validity: Option<crate::domain::lifecycle::Validity>,
        valid_from: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        self.valid_until.or_else(|| validity.map(|v| v.after(valid_from)))
    }
}

impl IssuedCredential {
    /// `revoked`, `suspended`, `superseded` (renewed), `expired` (its `validUntil` has passed at `now`) or `active`, as the issuer's
    /// records say (the published status lists say the same within a second; verification reads those).
    /// Revocation and suspension come first: they are what the issuer did.
    pub fn status_at(&self, now: OffsetDateTime) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.suspended_at.is_some() {
            "suspended"
        } else if self.superseded_by.is_some() {
            "superseded"
        } else if self.valid_until.is_some_and(|until| until <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// A deadline as an API takes it: RFC 3339 with a time zone, or a plain date meaning its last second in UTC.
pub fn end_of_day_or_time(text: &str) -> Option<OffsetDateTime> {
    award_time(text.trim(), true)
}

/// An award's date-time: RFC 3339 with a time zone, or a plain date (`2026-01-15`) meaning that day in UTC:
/// its first second for an award date, its last second (23:59:59) for a validity end, so that a credential
/// "valid until 15 January" is valid all that day.
fn award_time(text: &str, day_ends: bool) -> Option<OffsetDateTime> {
    if let Some(t) = parse_date_time_stamp(text) {
        return Some(t);
    }
    let day = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let at = if day_ends { time::Time::from_hms(23, 59, 59).ok()? } else { time::Time::MIDNIGHT };
    Some(day.with_time(at).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_an_award_is_named() {
        let input = AwardInput {
            achievement_id: Some("nope".into()),
            recipient: Some(RecipientInput {
                name: Some("Иван\nПетров".into()),
                email: Some("x".into()),
                id: Some("not a url".into()),
            }),
            awarded_at: Some("yesterday".into()),
            language: Some("Bulgarian".into()),
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["achievement_id", "recipient.name", "recipient.email", "recipient.id", "awarded_at", "language"]
        );
    }

    /// Prints everything but private-use characters and emoji faces.
    struct Fake;

    impl Printable for Fake {
        fn unprintable(&self, text: &str) -> Vec<char> {
            text.chars().filter(|c| matches!(*c, '\u{E000}'..='\u{F8FF}' | '\u{1F600}'..='\u{1F64F}')).collect()
        }
    }

    #[test]
    fn a_plain_date_is_that_day_in_utc() {
        let from = super::award_time("2026-01-15", false).unwrap();
        assert_eq!(from, time::macros::datetime!(2026-01-15 00:00:00 UTC));
        let until = super::award_time("2027-01-15", true).unwrap();
        assert_eq!(until, time::macros::datetime!(2027-01-15 23:59:59 UTC));
        let exact = super::award_time("2026-01-15T09:30:00+02:00", true).unwrap();
        assert_eq!(exact, time::macros::datetime!(2026-01-15 07:30:00 UTC));
        for bad in ["2026-1-15", "15.01.2026", "2026-02-30", "2026-01-15T09:30:00", ""] {
            assert_eq!(super::award_time(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn names_and_results_the_certificate_cannot_print_are_refused_naming_the_characters() {
        let input = AwardInput {
            achievement_id: Some(Uuid::nil().to_string()),
            recipient: Some(RecipientInput {
                name: Some("Ana \u{1F600} Lima\u{E000}".into()),
                email: Some("ana@example.pt".into()),
                id: None,
            }),
            result: Some("A\u{E000}".into()),
            ..Default::default()
        };
        assert!(input.clone().validate().is_ok(), "without a printer, anything goes");
        let errors = input.validate_printable(&Fake).unwrap_err();
        assert_eq!(errors.0[0].field, "recipient.name");
        assert_eq!(
            errors.0[0].message,
            "these characters cannot be printed on the certificate: U+1F600 \u{1F600}, U+E000 \\u{e000}"
        );
        assert_eq!(errors.0[1].field, "result");
    }

    #[test]
    fn names_in_any_script_and_emails_in_any_case_are_accepted() {
        let award = AwardInput {
            achievement_id: Some(Uuid::nil().to_string()),
            recipient: Some(RecipientInput {
                name: Some(" Γιώργος Παπαδόπουλος ".into()),
                email: Some("Giorgos@Example.GR ".into()),
                id: None,
            }),
            valid_until: Some("2030-01-01T00:00:00+02:00".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(award.name, "Γιώργος Παπαδόπουλος");
        assert_eq!(award.email.as_str(), "giorgos@example.gr");
        assert!(!award.allow_duplicate);
    }
}
