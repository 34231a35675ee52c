//! Bitstring Status List v1.0, the verifier's half: reading a credential's `credentialStatus` entries and
//! checking one against the `BitstringStatusListCredential` it names.
//!
//! Everything that stops the check is a [`StatusError`] typed with the specification's error names, so a
//! status that could not be established is reported as such and never taken for "not revoked". Fetching
//! the list and verifying its proof are the caller's (they need I/O); the rest is here, without I/O.
//!
//! See <https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm>.

use serde_json::Value;
use time::OffsetDateTime;

use super::model;
use crate::domain::status;

/// The base of the specification's error type URLs.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#processing-errors>
pub const STATUS_ERRORS: &str = "https://www.w3.org/ns/credentials/status-list#";

/// The shortest bitstring a conforming list may have (16 KiB), which is what gives holders herd privacy.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslist>
pub const MIN_LIST_BITS: usize = 131_072;

/// How far a status list's `validFrom` may be ahead of the verifier's clock. Issuers re-sign their lists
/// often, with `validFrom` the moment of signing, so a list fetched right after it was re-signed on a server
/// whose clock runs a little ahead (or signed during this very verification) is still current.
pub const LIST_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// The kinds of status processing errors, named as in the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusErrorKind {
    /// The status list could not be retrieved (`STATUS_RETRIEVAL_ERROR`).
    Retrieval,
    /// The status list or the entry failed validation (`STATUS_VERIFICATION_ERROR`): its proof, its issuer,
    /// its purpose or its validity period.
    Verification,
    /// The list is shorter than the specification's minimum (`STATUS_LIST_LENGTH_ERROR`).
    ListLength,
    /// The index is outside the list (`RANGE_ERROR`).
    Range,
    /// A value of the entry or the list is malformed (`MALFORMED_VALUE_ERROR`).
    MalformedValue,
    /// An entry of a status mechanism this verifier does not implement (e.g. `1EdTechRevocationList`).
    Unsupported,
}

impl StatusErrorKind {
    /// The specification's error name (`STATUS_RETRIEVAL_ERROR`…); an unsupported mechanism is reported as
    /// a verification error, since its status was not established.
    pub fn code(self) -> &'static str {
        match self {
            Self::Retrieval => "STATUS_RETRIEVAL_ERROR",
            Self::Verification | Self::Unsupported => "STATUS_VERIFICATION_ERROR",
            Self::ListLength => "STATUS_LIST_LENGTH_ERROR",
            Self::Range => "RANGE_ERROR",
            Self::MalformedValue => "MALFORMED_VALUE_ERROR",
        }
    }
}

/// Why a credential's status could not be established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct StatusError {
    /// Which error of the specification.
    pub kind: StatusErrorKind,
    /// What was found, in plain language.
    pub detail: String,
}

impl StatusError {
    /// An error of `kind`.
    pub fn new(kind: StatusErrorKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into() }
    }

    /// The error's type URL (`https://www.w3.org/ns/credentials/status-list#…`).
    pub fn type_url(&self) -> String {
        format!("{STATUS_ERRORS}{}", self.kind.code())
    }
}

/// A `BitstringStatusListEntry` of a credential, validated.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry>
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// `statusPurpose`: `revocation`, `suspension`, `refresh` or `message`.
    pub status_purpose: String,
    /// `statusListIndex`, from its base-10 string.
    pub status_list_index: u64,
    /// `statusListCredential`: the URL of the list credential.
    pub status_list_credential: String,
    /// `statusSize` in bits (1 when absent).
    pub status_size: u64,
}

/// The status entries of a credential (`credentialStatus` as one object or an array); `None` when it has
/// none. An entry of another type is an [`StatusErrorKind::Unsupported`] error, never skipped.
pub fn entries(credential: &Value) -> Option<Result<Vec<BitstringStatusListEntry>, StatusError>> {
    let items: Vec<&Value> = match credential.get("credentialStatus")? {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    Some(items.into_iter().map(BitstringStatusListEntry::parse).collect())
}

impl BitstringStatusListEntry {
    /// Reads and validates one entry.
    ///
    /// Errors: another `type` is unsupported; a missing or mistyped property, or a `statusListIndex` that is
    /// not a string of base-10 digits (a JSON number, `"0x2A"`, `"-1"`, `" 7"`), is a malformed value.
    pub fn parse(entry: &Value) -> Result<Self, StatusError> {
        let malformed = |detail: String| StatusError::new(StatusErrorKind::MalformedValue, detail);
        let Some(fields) = entry.as_object() else {
            return Err(malformed("a credentialStatus entry must be an object".into()));
        };
        let kind = fields.get("type").and_then(Value::as_str).unwrap_or("none");
        if kind != "BitstringStatusListEntry" {
            return Err(StatusError::new(
                StatusErrorKind::Unsupported,
                format!("the status entry type {kind:?} is not supported, so its status could not be checked"),
            ));
        }
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| malformed(format!("{name} must be a non-empty string")))
        };
        let status_purpose = text("statusPurpose")?.to_owned();
        let status_list_credential = text("statusListCredential")?.to_owned();
        let status_list_index = parse_index(fields.get("statusListIndex")).map_err(malformed)?;
        let status_size = match fields.get("statusSize") {
            None => 1,
            Some(v) => v
                .as_u64()
                .filter(|size| (1..=8).contains(size))
                .ok_or_else(|| malformed("statusSize must be an integer from 1 to 8".into()))?,
        };
        if status_size > 1 {
            // A multi-bit status only has meaning through `statusMessage`, which this verifier does not read.
            return Err(StatusError::new(
                StatusErrorKind::Unsupported,
                format!("status entries of {status_size} bits (statusMessage) are not supported"),
            ));
        }
        Ok(Self { status_purpose, status_list_index, status_list_credential, status_size })
    }
}

/// `statusListIndex`: "an arbitrary size integer greater than or equal to 0, expressed as a string in
/// base 10" — ASCII digits only, no sign, space or prefix.
fn parse_index(value: Option<&Value>) -> Result<u64, String> {
    let Some(value) = value else { return Err("statusListIndex is missing".into()) };
    let Some(text) = value.as_str() else {
        return Err(format!("statusListIndex must be a base-10 string, not the JSON value {value}"));
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("statusListIndex must be a base-10 string of digits, not {text:?}"));
    }
    // More digits than a u64 holds is still a well-formed index, just past the end of any list.
    Ok(text.parse::<u64>().unwrap_or(u64::MAX))
}

/// Checks `entry` against the list credential it names (already retrieved and, by the caller, its proof
/// verified): the list is a `BitstringStatusListCredential` of `issuer` (the credential's issuer), current
/// at `now`, for the entry's purpose, long enough, and the index is inside it. Returns whether the entry's
/// bit is set. `decoded` is the list's bitstring when the caller already decoded its `encodedList`.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm>
pub fn check_entry(
    entry: &BitstringStatusListEntry,
    list: &Value,
    decoded: Option<&[u8]>,
    issuer: &str,
    now: OffsetDateTime,
) -> Result<bool, StatusError> {
    let url = &entry.status_list_credential;
    let invalid = |detail: String| StatusError::new(StatusErrorKind::Verification, detail);
    let types = list.get("type");
    let typed = match types {
        Some(Value::Array(items)) => items.iter().any(|t| t == "BitstringStatusListCredential"),
        Some(Value::String(t)) => t == "BitstringStatusListCredential",
        _ => false,
    };
    if !typed {
        return Err(invalid(format!("{url} is not a BitstringStatusListCredential")));
    }
    let list_issuer = model::issuer_id(list);
    if list_issuer != Some(issuer) {
        return Err(invalid(format!(
            "status list {url} is issued by {}, not by the credential's issuer {issuer}",
            list_issuer.unwrap_or("nobody")
        )));
    }
    let date = |key: &str| list.get(key).and_then(Value::as_str).map(|d| (d, model::parse_date_time_stamp(d)));
    match date("validFrom") {
        Some((_, Some(from))) if now + LIST_CLOCK_SKEW < from => {
            return Err(invalid(format!("status list {url} is not yet valid")));
        }
        Some((text, None)) => return Err(invalid(format!("status list {url} has an invalid validFrom {text:?}"))),
        _ => {}
    }
    match date("validUntil") {
        Some((_, Some(until))) if now > until => return Err(invalid(format!("status list {url} has expired"))),
        Some((text, None)) => return Err(invalid(format!("status list {url} has an invalid validUntil {text:?}"))),
        _ => {}
    }
    let subjects: Vec<&Value> = match list.get("credentialSubject") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(subject @ Value::Object(_)) => vec![subject],
        _ => vec![],
    };
    let purposes = |subject: &Value| -> Vec<String> {
        match subject.get("statusPurpose") {
            Some(Value::String(p)) => vec![p.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => vec![],
        }
    };
    let Some(subject) = subjects.into_iter().find(|s| purposes(s).contains(&entry.status_purpose)) else {
        return Err(invalid(format!(
            "status list {url} is not a list for the entry's statusPurpose {:?}",
            entry.status_purpose
        )));
    };
    let fresh;
    let bits = match decoded {
        Some(bits) => bits,
        None => {
            let Some(encoded) = subject.get("encodedList").and_then(Value::as_str) else {
                let detail = format!("status list {url} has no encodedList");
                return Err(StatusError::new(StatusErrorKind::MalformedValue, detail));
            };
            fresh = status::decode_list(encoded)
                .map_err(|e| StatusError::new(StatusErrorKind::MalformedValue, format!("status list {url}: {e}")))?;
            &fresh
        }
    };
    let length = bits.len().saturating_mul(8);
    if length < MIN_LIST_BITS {
        return Err(StatusError::new(
            StatusErrorKind::ListLength,
            format!("status list {url} has {length} bits, fewer than the minimum {MIN_LIST_BITS}"),
        ));
    }
    let index = entry.status_list_index;
    let found = u32::try_from(index).ok().and_then(|i| status::bit(bits, i));
    found.ok_or_else(|| {
        StatusError::new(StatusErrorKind::Range, format!("statusListIndex {index} is outside status list {url}"))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(index: &Value) -> Value {
        json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
               "statusListIndex": index, "statusListCredential": "https://example.org/status/1"})
    }

    fn list(issuer: &str, purpose: &str, set: &[u32], size: u32) -> Value {
        json!({"type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": issuer,
               "validFrom": "2025-01-01T00:00:00Z",
               "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": purpose,
                                     "encodedList": status::encode_list(size, set).unwrap()}})
    }

    const NOW: OffsetDateTime = time::macros::datetime!(2026-06-01 00:00 UTC);

    #[test]
    fn an_index_is_a_string_of_base_10_digits() {
        assert_eq!(BitstringStatusListEntry::parse(&entry(&json!("42"))).unwrap().status_list_index, 42);
        assert_eq!(BitstringStatusListEntry::parse(&entry(&json!("0"))).unwrap().status_list_index, 0);
        for bad in
            [json!(42), json!("0x2A"), json!("-1"), json!(" 7"), json!("7 "), json!(""), json!("+7"), json!(null)]
        {
            let e = BitstringStatusListEntry::parse(&entry(&bad)).unwrap_err();
            assert_eq!(e.kind, StatusErrorKind::MalformedValue, "{bad}");
            assert_eq!(e.type_url(), "https://www.w3.org/ns/credentials/status-list#MALFORMED_VALUE_ERROR");
        }
    }

    #[test]
    fn other_status_mechanisms_are_unsupported_not_skipped() {
        let revocation_list =
            json!({"credentialStatus": {"id": "https://x.example/r", "type": "1EdTechRevocationList"}});
        let e = entries(&revocation_list).unwrap().unwrap_err();
        assert_eq!(e.kind, StatusErrorKind::Unsupported);
        assert!(entries(&json!({"id": "urn:x"})).is_none());
    }

    #[test]
    fn the_bit_is_read_only_from_a_current_list_of_the_same_issuer_and_purpose() {
        let e = BitstringStatusListEntry::parse(&entry(&json!("7"))).unwrap();
        assert_eq!(check_entry(&e, &list("did:key:a", "revocation", &[7], 131_072), None, "did:key:a", NOW), Ok(true));
        assert_eq!(check_entry(&e, &list("did:key:a", "revocation", &[8], 131_072), None, "did:key:a", NOW), Ok(false));

        let kind = |list: Value| check_entry(&e, &list, None, "did:key:a", NOW).unwrap_err().kind;
        assert_eq!(kind(list("did:key:b", "revocation", &[], 131_072)), StatusErrorKind::Verification);
        assert_eq!(kind(list("did:key:a", "suspension", &[], 131_072)), StatusErrorKind::Verification);
        assert_eq!(kind(list("did:key:a", "revocation", &[], 1024)), StatusErrorKind::ListLength);
        let mut expired = list("did:key:a", "revocation", &[], 131_072);
        expired["validUntil"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(kind(expired), StatusErrorKind::Verification);
        let mut future = list("did:key:a", "revocation", &[], 131_072);
        future["validFrom"] = json!("2027-01-01T00:00:00Z");
        assert_eq!(kind(future), StatusErrorKind::Verification);
        // Signed a moment "in the future" by a clock slightly ahead: still current.
        let mut just_signed = list("did:key:a", "revocation", &[], 131_072);
        just_signed["validFrom"] = json!("2026-06-01T00:01:00Z");
        assert_eq!(check_entry(&e, &just_signed, None, "did:key:a", NOW), Ok(false));
        let mut not_a_list = list("did:key:a", "revocation", &[], 131_072);
        not_a_list["type"] = json!(["VerifiableCredential"]);
        assert_eq!(kind(not_a_list), StatusErrorKind::Verification);

        let far = BitstringStatusListEntry::parse(&entry(&json!("131072"))).unwrap();
        let e = check_entry(&far, &list("did:key:a", "revocation", &[], 131_072), None, "did:key:a", NOW).unwrap_err();
        assert_eq!(e.kind, StatusErrorKind::Range);
        let huge = BitstringStatusListEntry::parse(&entry(&json!("99999999999999999999999"))).unwrap();
        let e = check_entry(&huge, &list("did:key:a", "revocation", &[], 131_072), None, "did:key:a", NOW).unwrap_err();
        assert_eq!(e.kind, StatusErrorKind::Range);
    }
}
