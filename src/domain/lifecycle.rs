//! The certification lifecycle's rules: how long an achievement's awards are valid, when learners are
//! reminded before expiry, and how a credential's successor is named. Pure: the clock is an argument.
//!
//! States and transitions (docs/lifecycle.md draws them): an award is *active* until its `validUntil`
//! (*expired*); an assessor may *suspend* it (optionally until a deadline, after which it is *withdrawn*, a
//! revocation), *reinstate* it, *revoke* it, *renew* it (the old one is *superseded* by the new one) or
//! *replace* it with a corrected one (the old one is revoked, naming the correction).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime};

/// How long an achievement's awards stay valid: whole months (years are twelve) and days, as written in an
/// ISO 8601 duration (`P3Y`, `P18M`, `P1Y6M`, `P90D`, `P2W`) or as a number of months.
///
/// See: <https://www.iso.org/standard/70907.html> (ISO 8601-1:2019, 5.5.2.4 "duration")
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Calendar months (a year is twelve).
    pub months: u32,
    /// Days after the months.
    pub days: u32,
}

/// The longest validity accepted: 50 years.
const MAX_MONTHS: u32 = 600;

impl Validity {
    /// Parses `P…Y…M…W…D` (date parts only; a time part or fractions are refused: a certificate is valid
    /// for whole days). Errors say what is accepted.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        const SHAPE: &str = "must be an ISO 8601 duration of years, months, weeks or days such as P3Y, P18M or P90D, or a number of months";
        let rest = text.trim().strip_prefix('P').ok_or(SHAPE)?;
        if rest.is_empty() || rest.contains('T') {
            return Err(SHAPE);
        }
        let (mut months, mut days, mut number, mut last) = (0u64, 0u64, String::new(), 0u8);
        for c in rest.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            // Designators in order, each at most once: Y, M, W, D.
            let rank = match c {
                'Y' => 1,
                'M' => 2,
                'W' => 3,
                'D' => 4,
                _ => return Err(SHAPE),
            };
            if number.is_empty() || number.len() > 6 || rank <= last {
                return Err(SHAPE);
            }
            let n: u64 = number.parse().map_err(|_| SHAPE)?;
            number.clear();
            last = rank;
            match c {
                'Y' => months += n * 12,
                'M' => months += n,
                'W' => days += n * 7,
                _ => days += n,
            }
        }
        if !number.is_empty() {
            return Err(SHAPE);
        }
        Self::of(months, days)
    }

    /// A validity of `months` months (the API's numeric form).
    pub fn months(months: u64) -> Result<Self, &'static str> {
        Self::of(months, 0)
    }

    fn of(months: u64, days: u64) -> Result<Self, &'static str> {
        if months == 0 && days == 0 {
            return Err("must be longer than zero");
        }
        if months > u64::from(MAX_MONTHS) || days > u64::from(MAX_MONTHS) * 31 {
            return Err("must be at most 50 years");
        }
        Ok(Self { months: u32::try_from(months).unwrap_or(MAX_MONTHS), days: u32::try_from(days).unwrap_or(0) })
    }

    /// `from` plus this validity: months by the calendar (31 January + 1 month is the last day of February),
    /// then days.
    pub fn after(&self, from: OffsetDateTime) -> OffsetDateTime {
        let date = from.date();
        let total = i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + i64::from(self.months);
        let year = i32::try_from(total.div_euclid(12)).unwrap_or(9999);
        let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1)).unwrap_or(Month::January);
        let day = date.day().min(time::util::days_in_month(month, year));
        let moved = Date::from_calendar_date(year, month, day).map_or(from, |d| from.replace_date(d));
        moved + Duration::days(i64::from(self.days))
    }

    /// The canonical ISO 8601 text: `P3Y`, `P1Y6M`, `P90D`.
    pub fn to_iso8601(&self) -> String {
        let mut text = String::from("P");
        let (years, months) = (self.months / 12, self.months % 12);
        if years > 0 {
            text.push_str(&format!("{years}Y"));
        }
        if months > 0 {
            text.push_str(&format!("{months}M"));
        }
        if self.days > 0 {
            text.push_str(&format!("{}D", self.days));
        }
        text
    }
}

impl Serialize for Validity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso8601())
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The days before expiry learners are reminded by default.
pub const DEFAULT_REMINDER_DAYS: [u32; 2] = [90, 30];

/// Parses an issuer's reminder days, `"90,30"` (stored form) into a list, largest first, without repeats.
/// Each is 1 to 730 days.
pub fn parse_reminder_days(text: &str) -> Result<Vec<u32>, &'static str> {
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        days.push(part.parse::<u32>().map_err(|_| "must be whole numbers of days")?);
    }
    check_reminder_days(days)
}

/// Checks reminder days (1 to 730 each, at most 5), sorted largest first without repeats.
pub fn check_reminder_days(mut days: Vec<u32>) -> Result<Vec<u32>, &'static str> {
    if days.iter().any(|d| !(1..=730).contains(d)) {
        return Err("each must be 1 to 730 days before expiry");
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    if days.len() > 5 {
        return Err("at most 5 reminders");
    }
    Ok(days)
}

/// The stored form of reminder days: `"90,30"`.
pub fn format_reminder_days(days: &[u32]) -> String {
    days.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Which reminders of a credential expiring at `valid_until` are due at `now`, given the issuer's `days`:
/// the one to send (the nearest threshold passed) and the ones passed before it, to record as skipped so that a
/// learner awarded 20 days before expiry gets one reminder, not two. `None` when none is due (or it expired).
pub fn due_reminder(valid_until: OffsetDateTime, now: OffsetDateTime, days: &[u32]) -> Option<(u32, Vec<u32>)> {
    if now >= valid_until {
        return None;
    }
    let mut passed: Vec<u32> =
        days.iter().copied().filter(|d| valid_until - Duration::days(i64::from(*d)) <= now).collect();
    passed.sort_unstable();
    let send = *passed.first()?;
    Some((send, passed.split_off(1)))
}

/// How far ahead the weekly digest to an issuer looks, in days.
pub const DIGEST_HORIZON_DAYS: i64 = 90;

/// The ISO week of `t` as `2026-W49`: the key of that week's digest.
pub fn iso_week(t: OffsetDateTime) -> String {
    let (year, week, _) = t.date().to_iso_week_date();
    format!("{year}-W{week:02}")
}

/// Why a newer credential follows an older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Succession {
    /// Recertification: the older one is superseded (not revoked: it was true when issued).
    Renewal,
    /// A correction: the older one is revoked, naming the corrected one.
    Correction,
}

/// The public reason a corrected credential's predecessor is revoked with, unless the assessor gives another.
pub const CORRECTED_REASON: &str = "Replaced by a corrected credential";

/// The public reason a suspension whose deadline passed is revoked with.
pub const WITHDRAWN_REASON: &str = "Withdrawn: the suspension was not lifted by its deadline";

/// The body of `POST /api/v1/credentials/{id}/renew`: what changes in the renewal (all optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalInput {
    /// When the learner recertified (default: now). RFC 3339 or a date.
    pub awarded_at: Option<String>,
    /// When the renewal expires (default: award date + the achievement's validity, else + the renewed
    /// credential's own period, else never).
    pub valid_until: Option<String>,
    /// The result of the recertification (default: none).
    pub result: Option<String>,
    /// E-mail the renewal to the learner (default: as the renewed credential was, unless it was awarded
    /// with `notify: false`).
    pub notify: Option<bool>,
}

/// The body of `POST /api/v1/credentials/{id}/replace`: the corrected fields (any left out stay as they
/// were), and what the revoked original's page says.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// The learner's corrected name, address or identifier.
    pub recipient: Option<crate::domain::award::RecipientInput>,
    /// The corrected result.
    pub result: Option<String>,
    /// The corrected award date.
    pub awarded_at: Option<String>,
    /// The corrected expiry.
    pub valid_until: Option<String>,
    /// The corrected language of the learner's documents.
    pub language: Option<String>,
    /// Shown on the original's page (default "Replaced by a corrected credential").
    pub public_reason: Option<String>,
    /// For the issuer's records (default: the corrected fields).
    pub note: Option<String>,
    /// E-mail the corrected credential to the learner (default: as the original was, unless it was awarded
    /// with `notify: false`).
    pub notify: Option<bool>,
}

/// What an award said, read back from its credential, to renew or correct it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardedFacts {
    /// The learner's name.
    pub name: String,
    /// The learner's address.
    pub email: String,
    /// The learner's own identifier (`credentialSubject.id`).
    pub recipient_id: Option<String>,
    /// The first result's value.
    pub result: Option<String>,
    /// `validFrom`.
    pub awarded_at: Option<String>,
    /// `validUntil`.
    pub valid_until: Option<String>,
    /// The language of the learner's documents.
    pub language: Option<String>,
}

impl AwardedFacts {
    /// Reads the facts of an award (its row's name, address and language; the rest from the signed document).
    pub fn of(credential: &crate::domain::award::IssuedCredential) -> Option<Self> {
        let document: serde_json::Value = serde_json::from_str(credential.document.get()).ok()?;
        let subject = document.get("credentialSubject")?;
        let text = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).map(str::to_owned);
        Some(Self {
            name: credential.recipient_name.clone()?,
            email: credential.recipient_email.clone()?,
            recipient_id: text(subject.get("id")),
            result: text(subject.get("result").and_then(|r| r.get(0)).and_then(|r| r.get("value"))),
            awarded_at: text(document.get("validFrom")),
            valid_until: text(document.get("validUntil")),
            language: credential.language.clone(),
        })
    }

    /// The award request of a renewal: same learner, the new dates and result.
    pub fn renewal(
        &self,
        achievement: &str,
        input: &RenewalInput,
        now: OffsetDateTime,
        notify: bool,
    ) -> crate::domain::award::AwardInput {
        crate::domain::award::AwardInput {
            achievement_id: Some(achievement.to_owned()),
            recipient: Some(crate::domain::award::RecipientInput {
                name: Some(self.name.clone()),
                email: Some(self.email.clone()),
                id: self.recipient_id.clone(),
            }),
            result: input.result.clone(),
            awarded_at: Some(
                input
                    .awarded_at
                    .clone()
                    .unwrap_or_else(|| now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
            ),
            valid_until: input.valid_until.clone(),
            language: self.language.clone(),
            allow_duplicate: Some(true),
            notify: Some(input.notify.unwrap_or(notify)),
        }
    }

    /// The award request of a correction: these facts with the corrected ones over them.
    pub fn corrected(
        &self,
        achievement: &str,
        input: &CorrectionInput,
        notify: bool,
    ) -> crate::domain::award::AwardInput {
        let recipient = input.recipient.clone().unwrap_or_default();
        crate::domain::award::AwardInput {
            achievement_id: Some(achievement.to_owned()),
            recipient: Some(crate::domain::award::RecipientInput {
                name: recipient.name.or_else(|| Some(self.name.clone())),
                email: recipient.email.or_else(|| Some(self.email.clone())),
                id: recipient.id.or_else(|| self.recipient_id.clone()),
            }),
            result: input.result.clone().or_else(|| self.result.clone()),
            awarded_at: input.awarded_at.clone().or_else(|| self.awarded_at.clone()),
            valid_until: input.valid_until.clone().or_else(|| self.valid_until.clone()),
            language: input.language.clone().or_else(|| self.language.clone()),
            allow_duplicate: Some(true),
            notify: Some(input.notify.unwrap_or(notify)),
        }
    }
}

/// The fields a correction changes, named for the audit note: `recipient.name, result`.
pub fn corrected_fields(input: &CorrectionInput) -> String {
    let mut fields = Vec::new();
    if let Some(r) = &input.recipient {
        for (name, set) in [
            ("recipient.name", r.name.is_some()),
            ("recipient.email", r.email.is_some()),
            ("recipient.id", r.id.is_some()),
        ] {
            if set {
                fields.push(name);
            }
        }
    }
    for (name, set) in [
        ("result", input.result.is_some()),
        ("awarded_at", input.awarded_at.is_some()),
        ("valid_until", input.valid_until.is_some()),
        ("language", input.language.is_some()),
    ] {
        if set {
            fields.push(name);
        }
    }
    fields.join(", ")
}

/// A learner's credentials grouped by succession, for their space: each current credential (one no renewal
/// or correction followed), newest first, with the versions it followed, newest first. A credential whose
/// successor is not among them (a correction sent to another address) stands on its own.
pub fn group_versions<T>(
    items: Vec<T>,
    of: impl Fn(&T) -> &crate::domain::award::IssuedCredential,
) -> Vec<(T, Vec<T>)> {
    use std::collections::HashMap;
    let ids: std::collections::HashSet<_> = items.iter().map(|i| of(i).id).collect();
    let next = |i: &T| of(i).superseded_by.or(of(i).replaced_by).filter(|n| ids.contains(n));
    // Follow each chain to its current end.
    let successors: HashMap<_, _> = items.iter().filter_map(|i| next(i).map(|n| (of(i).id, n))).collect();
    let head = |mut id| {
        let mut steps = 0;
        while let Some(n) = successors.get(&id) {
            id = *n;
            steps += 1;
            if steps > successors.len() {
                break; // a cycle cannot be made through the API; never loop on bad data
            }
        }
        id
    };
    let mut current: Vec<(T, Vec<T>)> = Vec::new();
    let mut earlier: HashMap<_, Vec<T>> = HashMap::new();
    for item in items {
        if next(&item).is_some() {
            earlier.entry(head(of(&item).id)).or_default().push(item);
        } else {
            current.push((item, Vec::new()));
        }
    }
    for (item, versions) in &mut current {
        *versions = earlier.remove(&of(item).id).unwrap_or_default();
        versions.sort_by_key(|v| std::cmp::Reverse(of(v).issued_at));
    }
    current.sort_by_key(|(c, _)| std::cmp::Reverse(of(c).issued_at));
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn versions_are_grouped_under_the_current_credential() {
        use crate::domain::award::{CredentialId, IssuedCredential};
        let credential = |n: u128, minutes: i64, next: Option<u128>| IssuedCredential {
            id: CredentialId(uuid::Uuid::from_u128(n)),
            issuer_id: crate::domain::issuer::IssuerId(uuid::Uuid::nil()),
            achievement_id: None,
            recipient_name: None,
            recipient_email: None,
            recipient_lookup: None,
            external_id: None,
            document: serde_json::value::to_raw_value(&serde_json::json!({})).unwrap(),
            issued_at: datetime!(2026-01-01 00:00 UTC) + Duration::minutes(minutes),
            valid_until: None,
            language: None,
            allow_duplicate: false,
            idempotency_key: None,
            request_hash: None,
            api_key_id: None,
            status: None,
            suspension: None,
            revoked_at: None,
            revocation_reason: None,
            revocation_public_reason: None,
            suspended_at: None,
            suspension_reason: None,
            suspension_public_reason: None,
            suspended_until: None,
            superseded_by: next.map(|n| CredentialId(uuid::Uuid::from_u128(n))),
            replaced_by: None,
        };
        // 1 renewed by 2, corrected by 3; 4 stands alone; 5 names a successor the learner does not hold.
        let items = vec![
            credential(1, 0, Some(2)),
            credential(4, 1, None),
            credential(2, 2, Some(3)),
            credential(3, 3, None),
            credential(5, 4, Some(9)),
        ];
        let grouped = group_versions(items, |c| c);
        let ids: Vec<(u128, Vec<u128>)> =
            grouped.iter().map(|(c, v)| (c.id.0.as_u128(), v.iter().map(|e| e.id.0.as_u128()).collect())).collect();
        assert_eq!(ids, [(5, vec![]), (3, vec![2, 1]), (4, vec![])]);
    }

    #[test]
    fn durations_parse_as_written_and_refuse_what_a_certificate_cannot_mean() {
        assert_eq!(Validity::parse("P3Y").unwrap(), Validity { months: 36, days: 0 });
        assert_eq!(Validity::parse("P1Y6M").unwrap(), Validity { months: 18, days: 0 });
        assert_eq!(Validity::parse("P2W").unwrap(), Validity { months: 0, days: 14 });
        assert_eq!(Validity::parse("P1Y2M10D").unwrap().to_iso8601(), "P1Y2M10D");
        assert_eq!(Validity::parse("P24M").unwrap().to_iso8601(), "P2Y");
        for bad in ["", "3Y", "P", "PT12H", "P1.5Y", "P3M1Y", "P1Y1Y", "P0D", "P51Y", "P-1Y", "P3", "PY"] {
            assert!(Validity::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Validity::months(6).unwrap(), Validity { months: 6, days: 0 });
    }

    #[test]
    fn months_are_added_by_the_calendar() {
        let v = Validity::parse("P1M").unwrap();
        assert_eq!(v.after(datetime!(2026-01-31 10:00 UTC)), datetime!(2026-02-28 10:00 UTC));
        assert_eq!(v.after(datetime!(2027-12-15 00:00 UTC)), datetime!(2028-01-15 00:00 UTC));
        let three = Validity::parse("P3Y").unwrap();
        assert_eq!(three.after(datetime!(2028-02-29 00:00 UTC)), datetime!(2031-02-28 00:00 UTC));
        assert_eq!(
            Validity::parse("P90D").unwrap().after(datetime!(2026-01-01 00:00 UTC)),
            datetime!(2026-04-01 00:00 UTC)
        );
    }

    #[test]
    fn the_nearest_passed_reminder_is_sent_and_the_earlier_ones_skipped() {
        let until = datetime!(2027-06-30 00:00 UTC);
        let days = [90, 30];
        assert_eq!(due_reminder(until, datetime!(2027-03-01 00:00 UTC), &days), None);
        assert_eq!(due_reminder(until, datetime!(2027-04-01 00:00 UTC), &days), Some((90, vec![])));
        assert_eq!(due_reminder(until, datetime!(2027-06-10 00:00 UTC), &days), Some((30, vec![90])));
        assert_eq!(due_reminder(until, until, &days), None, "expired: no reminder");
        assert_eq!(parse_reminder_days("30, 90,90").unwrap(), vec![90, 30]);
        assert_eq!(parse_reminder_days("").unwrap(), Vec::<u32>::new());
        assert!(parse_reminder_days("0").is_err());
        assert_eq!(iso_week(datetime!(2026-12-31 12:00 UTC)), "2026-W53");
    }
}
