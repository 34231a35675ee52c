//! 1EdTech's official Open Badges 3.0 JSON Schema (draft 2019-09), compiled into the binary and validated
//! offline. Issuers must pass it; a verifier reports deviations as warnings, because VCDM 2.0 allows
//! forms (a single proof object) that the canonical OB 3.0 serialization does not.
//!
//! See `schemas/ob_v3p0/README.md` and <https://www.imsglobal.org/spec/ob/v3p0/#json-schema>.

use std::sync::LazyLock;

use serde_json::Value;

static ACHIEVEMENT_CREDENTIAL: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(include_str!("../../schemas/ob_v3p0/achievementcredential.json"))
        .map_err(|e| e.to_string())?;
    jsonschema::draft201909::options().should_validate_formats(true).build(&schema).map_err(|e| e.to_string())
});

/// Every violation of the AchievementCredential schema, as `"<JSON pointer>: <message>"`; empty when valid.
pub fn achievement_credential_violations(credential: &Value) -> Vec<String> {
    match &*ACHIEVEMENT_CREDENTIAL {
        Ok(validator) => {
            validator.iter_errors(credential).map(|e| format!("{}: {}", e.instance_path(), e.masked())).collect()
        }
        Err(e) => vec![format!("the bundled OB 3.0 schema did not compile: {e}")],
    }
}

/// Whether a credential claims to be an Open Badges 3.0 credential (so the OB schema applies).
pub fn is_open_badge(credential: &Value) -> bool {
    let types = match credential.get("type") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => vec![],
    };
    types.iter().any(|t| matches!(*t, "OpenBadgeCredential" | "AchievementCredential"))
}
