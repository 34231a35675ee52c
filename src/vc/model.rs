//! Data-model rules of W3C Verifiable Credentials (2.0, and 1.1 for compatibility) that JSON-LD processing
//! does not enforce: required properties, identifiers that are URLs, date formats, typed objects.
//! Used both by the verifier and by issuers that accept caller-built credentials.
//!
//! See <https://www.w3.org/TR/vc-data-model-2.0/#basic-concepts>.

use serde_json::{Map, Value};

use super::contexts::{CREDENTIALS_V1, CREDENTIALS_V2};

/// Which version of the data model a document follows, from its first `@context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `https://www.w3.org/ns/credentials/v2` (`validFrom`/`validUntil`).
    V2,
    /// `https://www.w3.org/2018/credentials/v1` (`issuanceDate`/`expirationDate`).
    V1,
}

/// The data-model version of a credential, if its first context names one.
pub fn version(document: &Value) -> Option<Version> {
    let first = match document.get("@context")? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    match first.as_str()? {
        CREDENTIALS_V2 => Some(Version::V2),
        CREDENTIALS_V1 => Some(Version::V1),
        _ => None,
    }
}

pub use crate::domain::xsd::{is_url, parse_date_time_stamp};

/// The issuer's id: `issuer` as a URL string, or the `id` of an `issuer` object; `None` when it has neither.
///
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#issuer>
pub fn issuer_id(document: &Value) -> Option<&str> {
    match document.get("issuer")? {
        Value::String(id) => Some(id.as_str()),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Every data-model violation of a credential (empty when it conforms). Messages name the property.
pub fn credential_violations(document: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let Some(doc) = document.as_object() else {
        return vec!["a credential must be a JSON object".into()];
    };
    let version = version(document);
    check_context(doc, &mut v);
    check_types(doc.get("type"), "type", Some("VerifiableCredential"), &mut v);
    if let Some(id) = doc.get("id") {
        check_url(id, "id", &mut v);
    }
    match doc.get("issuer") {
        None => v.push("issuer is required".into()),
        Some(Value::String(s)) => check_url(&Value::String(s.clone()), "issuer", &mut v),
        Some(Value::Object(issuer)) => match issuer.get("id") {
            Some(id) => check_url(id, "issuer.id", &mut v),
            None => v.push("issuer.id is required when issuer is an object".into()),
        },
        Some(_) => v.push("issuer must be a URL or an object with an id".into()),
    }
    check_subjects(doc.get("credentialSubject"), &mut v);
    match version {
        Some(Version::V1) => {
            match doc.get("issuanceDate") {
                None => v.push("issuanceDate is required in a VCDM 1.1 credential".into()),
                Some(d) => {
                    check_date(d, "issuanceDate", &mut v);
                }
            }
            if let Some(d) = doc.get("expirationDate") {
                check_date(d, "expirationDate", &mut v);
            }
        }
        _ => {
            let from = doc.get("validFrom").map(|d| (check_date(d, "validFrom", &mut v), d));
            let until = doc.get("validUntil").map(|d| (check_date(d, "validUntil", &mut v), d));
            if let (Some((_, from)), Some((_, until))) = (from, until) {
                let (from, until) =
                    (from.as_str().and_then(parse_date_time_stamp), until.as_str().and_then(parse_date_time_stamp));
                if let (Some(from), Some(until)) = (from, until)
                    && from > until
                {
                    v.push("validFrom must not be later than validUntil".into());
                }
            }
        }
    }
    for key in ["name", "description"] {
        if let Some(value) = doc.get(key) {
            check_language_value(value, key, &mut v);
        }
    }
    for key in ["credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema"] {
        if let Some(value) = doc.get(key) {
            check_typed_objects(value, key, &mut v);
        }
    }
    if let Some(Value::Array(schemas)) = doc.get("credentialSchema") {
        for (i, schema) in schemas.iter().enumerate() {
            if schema.get("id").is_none() {
                v.push(format!("credentialSchema[{i}].id is required"));
            }
        }
    } else if let Some(schema @ Value::Object(_)) = doc.get("credentialSchema")
        && schema.get("id").is_none()
    {
        v.push("credentialSchema.id is required".into());
    }
    if let Some(status) = doc.get("credentialStatus") {
        for (i, entry) in as_list(status).into_iter().enumerate() {
            if let Some(id) = entry.get("id") {
                check_url(id, &format!("credentialStatus[{i}].id"), &mut v);
            }
        }
    }
    if let Some(related) = doc.get("relatedResource") {
        check_related_resources(related, &mut v);
    }
    v
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn check_context(doc: &Map<String, Value>, v: &mut Vec<String>) {
    let Some(context) = doc.get("@context") else {
        v.push("@context is required".into());
        return;
    };
    let items = as_list(context);
    match items.first().and_then(|c| c.as_str()) {
        Some(CREDENTIALS_V2 | CREDENTIALS_V1) => {}
        _ => v.push(format!("the first @context must be {CREDENTIALS_V2}")),
    }
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if is_url(s) => {}
            Value::Object(_) => {}
            _ => v.push(format!("@context[{i}] must be a URL or a context object")),
        }
    }
}

fn check_types(types: Option<&Value>, at: &str, required: Option<&str>, v: &mut Vec<String>) {
    let Some(types) = types else {
        v.push(format!("{at} is required"));
        return;
    };
    let list = as_list(types);
    if list.is_empty() || list.iter().any(|t| t.as_str().is_none_or(|s| s.is_empty())) {
        v.push(format!("{at} must be a non-empty string or array of strings"));
        return;
    }
    if let Some(required) = required
        && !list.iter().any(|t| t.as_str() == Some(required))
    {
        v.push(format!("{at} must include {required}"));
    }
}

fn check_url(value: &Value, at: &str, v: &mut Vec<String>) {
    if !value.as_str().is_some_and(is_url) {
        v.push(format!("{at} must be a URL"));
    }
}

fn check_date(value: &Value, at: &str, v: &mut Vec<String>) -> bool {
    let ok = value.as_str().and_then(parse_date_time_stamp).is_some();
    if !ok {
        v.push(format!("{at} must be an XML Schema dateTimeStamp, e.g. 2026-01-31T09:00:00Z"));
    }
    ok
}

fn check_subjects(subject: Option<&Value>, v: &mut Vec<String>) {
    let Some(subject) = subject else {
        v.push("credentialSubject is required".into());
        return;
    };
    let list = as_list(subject);
    if list.is_empty() {
        v.push("credentialSubject must not be empty".into());
    }
    for (i, s) in list.iter().enumerate() {
        match s {
            Value::Object(map) if !map.is_empty() => {
                if let Some(id) = map.get("id") {
                    check_url(id, &format!("credentialSubject[{i}].id"), v);
                }
            }
            _ => v.push(format!("credentialSubject[{i}] must be a non-empty object")),
        }
    }
}

fn check_language_value(value: &Value, at: &str, v: &mut Vec<String>) {
    for item in as_list(value) {
        match item {
            Value::String(_) => {}
            Value::Object(map) => {
                if !map.contains_key("@value")
                    || map.keys().any(|k| !matches!(k.as_str(), "@value" | "@language" | "@direction"))
                {
                    v.push(format!("{at} language values may only have @value, @language and @direction"));
                }
            }
            _ => v.push(format!("{at} must be a string or a language value object")),
        }
    }
}

/// `credentialStatus`, `termsOfUse`, `evidence`, `refreshService`, `credentialSchema`: typed objects whose
/// `id`, when present, is a URL.
///
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#identifiers>
fn check_typed_objects(value: &Value, at: &str, v: &mut Vec<String>) {
    for (i, item) in as_list(value).into_iter().enumerate() {
        match item.get("type") {
            Some(Value::String(_)) => {}
            Some(Value::Array(types)) if !types.is_empty() && types.iter().all(Value::is_string) => {}
            _ => v.push(format!("{at}[{i}] must be an object with a type")),
        }
        if at != "credentialStatus"
            && let Some(id) = item.get("id")
        {
            check_url(id, &format!("{at}[{i}].id"), v);
        }
    }
}

fn check_related_resources(value: &Value, v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    for (i, item) in as_list(value).into_iter().enumerate() {
        let Some(map) = item.as_object() else {
            v.push(format!("relatedResource[{i}] must be an object"));
            continue;
        };
        match map.get("id").and_then(Value::as_str) {
            Some(id) if is_url(id) => {
                if !seen.insert(id.to_owned()) {
                    v.push(format!("relatedResource[{i}].id is a duplicate"));
                }
            }
            _ => v.push(format!("relatedResource[{i}].id must be a URL")),
        }
        if !map.contains_key("digestSRI") && !map.contains_key("digestMultibase") {
            v.push(format!("relatedResource[{i}] needs digestSRI or digestMultibase"));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn base() -> Value {
        json!({
            "@context": [CREDENTIALS_V2],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "validFrom": "2026-01-01T00:00:00-06:00",
            "credentialSubject": {"id": "urn:uuid:1b2c"}
        })
    }

    #[test]
    fn a_minimal_credential_conforms() {
        assert_eq!(credential_violations(&base()), Vec::<String>::new());
    }

    #[test]
    fn each_broken_rule_is_named() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("@context", json!(["https://example.org/ctx"]), "first @context"),
            ("@context", json!([CREDENTIALS_V2, 42]), "@context[1]"),
            ("type", json!(["Other"]), "must include VerifiableCredential"),
            ("id", json!("not a url"), "id must be a URL"),
            ("id", json!(["urn:a"]), "id must be a URL"),
            ("issuer", json!({"name": "x"}), "issuer.id is required"),
            ("issuer", json!("https ://x"), "issuer must be a URL"),
            ("credentialSubject", json!({}), "non-empty object"),
            ("validFrom", json!("2026-01-01"), "validFrom must be"),
            ("validUntil", json!("2020-01-01T00:00:00Z"), "not be later"),
            ("name", json!({"@value": "x", "extra": 1}), "language values"),
            ("credentialStatus", json!({"id": "https://x/1"}), "with a type"),
            ("credentialSchema", json!([{"type": "JsonSchema"}]), "credentialSchema[0].id"),
            ("relatedResource", json!([{"id": "https://x"}]), "digestSRI"),
            (
                "credentialSchema",
                json!({"id": "https ://x/s", "type": "JsonSchema"}),
                "credentialSchema[0].id must be a URL",
            ),
            ("evidence", json!({"id": "https ://x/e", "type": "Evidence"}), "evidence[0].id must be a URL"),
            ("termsOfUse", json!({"id": "https ://x/t", "type": "Policy"}), "termsOfUse[0].id must be a URL"),
            ("refreshService", json!({"id": "https ://x/r", "type": "Refresh"}), "refreshService[0].id must be a URL"),
            (
                "credentialStatus",
                json!({"id": "https ://x/1", "type": "BitstringStatusListEntry"}),
                "credentialStatus[0].id must be a URL",
            ),
        ];
        for (key, value, expected) in cases {
            let mut doc = base();
            doc[key] = value;
            let violations = credential_violations(&doc);
            assert!(violations.iter().any(|m| m.contains(expected)), "{key}: {violations:?}");
        }
        let mut doc = base();
        doc.as_object_mut().unwrap().remove("credentialSubject");
        assert!(credential_violations(&doc).iter().any(|m| m.contains("credentialSubject is required")));
    }
}
