//! The lossless rule of [`super`]: refuse, before and after JSON-LD → RDF, anything that transformation
//! would drop, so that every JSON value of a signed document is covered by its signature.
//!
//! See <https://www.w3.org/TR/vc-data-integrity/#transformation>,
//! <https://www.w3.org/TR/json-ld11-api/#create-term-definition> (invalid IRI mapping) and
//! <https://www.w3.org/TR/json-ld11-api/#object-to-rdf-conversion> (`rdfDirection`, i18n-datatype).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::CanonError;

/// The JSON-LD 1.1 keywords; any other key of the form `@letters` is ignored by expansion.
///
/// See: <https://www.w3.org/TR/json-ld11/#keywords>
const KEYWORDS: &[&str] = &[
    "@base",
    "@container",
    "@context",
    "@direction",
    "@graph",
    "@id",
    "@import",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@prefix",
    "@propagate",
    "@protected",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

/// The namespace of the i18n datatypes (`rdfDirection: "i18n-datatype"`).
pub(super) const I18N: &str = "https://www.w3.org/ns/i18n#";

fn lossy(detail: String) -> CanonError {
    CanonError::Lossy(detail)
}

/// Refuses documents whose JSON alone shows that JSON-LD would drop part of them (or could not write
/// one of its numbers back exactly), or could state a fact of the credential somewhere a verifier reading
/// the JSON does not look (see [`check_node`]).
pub(super) fn check_document(document: &Value) -> Result<(), CanonError> {
    let id = document.get("id").or_else(|| document.get("@id")).and_then(Value::as_str);
    check_node(document, "", id)
}

/// Keywords that would let a document state the credential's own facts (`validUntil`, `credentialStatus`,
/// `issuer`…) away from its top-level keys, where verifiers read them, with the same RDF and so the same
/// signature: a holder could move an expiry or a status entry out of sight.
const RELOCATING_KEYWORDS: [&str; 3] = ["@nest", "@included", "@reverse"];

/// Namespaces of the terms verification relies on; an embedded context may not map a term of its own into
/// them (an alias of `validUntil` would hide it the same way).
const VERIFICATION_VOCABULARIES: [&str; 3] =
    ["https://www.w3.org/2018/credentials#", "https://www.w3.org/ns/credentials/status#", "https://w3id.org/security#"];

fn check_node(node: &Value, at: &str, credential_id: Option<&str>) -> Result<(), CanonError> {
    match node {
        Value::Array(items) => {
            check_distinct(items, at)?;
            for (i, item) in items.iter().enumerate() {
                check_node(item, &format!("{at}[{i}]"), credential_id)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            if !at.is_empty()
                && let Some(id) = credential_id
                && ["id", "@id"].iter().any(|k| map.get(*k).and_then(Value::as_str) == Some(id))
            {
                return Err(lossy(format!(
                    "{at} describes the credential itself ({id}); its facts belong at the top level, where verifiers read them"
                )));
            }
            for (key, value) in map {
                let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                if key == "@context" {
                    check_context(value, &path)?;
                    continue;
                }
                if key == "@index" {
                    return Err(lossy(format!("{path}: @index values are not part of the RDF data, so not signed")));
                }
                if is_keyword_like(key) && !KEYWORDS.contains(&key.as_str()) {
                    return Err(lossy(format!(
                        "{path}: {key} looks like a keyword but is none, so JSON-LD ignores it"
                    )));
                }
                if RELOCATING_KEYWORDS.contains(&key.as_str()) {
                    return Err(lossy(format!(
                        "{path}: {key} is not accepted in a credential (it can hide its facts)"
                    )));
                }
                if !key.starts_with('@') && key.contains(':') {
                    return Err(lossy(format!(
                        "{path}: properties are named by terms of the contexts, not by IRIs ({key})"
                    )));
                }
                check_node(value, &path, credential_id)?;
            }
            Ok(())
        }
        Value::Number(n) => number_text(n).map(|_| ()),
        _ => Ok(()),
    }
}

/// JSON-LD arrays are sets (nested arrays flattened into them): a value that appears twice is one
/// statement, so either copy could be changed into another value of the set unseen. Refused. Linear in the
/// array's size (a hash set of each member's RDF identity).
fn check_distinct(items: &[Value], at: &str) -> Result<(), CanonError> {
    fn scalars<'a>(items: &'a [Value], out: &mut Vec<&'a Value>) {
        for item in items {
            match item {
                Value::Array(nested) => scalars(nested, out),
                Value::Object(map) if !map.contains_key("@value") => {}
                scalar => out.push(scalar),
            }
        }
    }
    if items.len() < 2 {
        return Ok(());
    }
    let mut found = Vec::new();
    scalars(items, &mut found);
    let mut seen = std::collections::HashSet::with_capacity(found.len());
    for item in found {
        if !seen.insert(literal_key(item)) {
            return Err(lossy(format!(
                "{at} holds {item} twice: JSON-LD keeps one copy, so the other would not be signed on its own"
            )));
        }
    }
    Ok(())
}

/// What makes two members of one array the same RDF term: numbers by value, a value object with only
/// `@value` as that value, language tags in any case.
fn literal_key(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("n{}", n.as_f64().map_or(0, f64::to_bits)),
        Value::Object(map) if map.len() == 1 => map.get("@value").map_or_else(String::new, literal_key),
        Value::Object(map) => {
            let mut map = map.clone();
            if let Some(Value::String(l)) = map.get_mut("@language") {
                *l = l.to_ascii_lowercase();
            }
            format!("o{}", Value::Object(map))
        }
        Value::String(s) => format!("s{s}"),
        other => format!("j{other}"),
    }
}

/// `@` followed by ASCII letters only: the form JSON-LD reserves for keywords.
fn is_keyword_like(key: &str) -> bool {
    key.strip_prefix('@').is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// An embedded context (URLs are bundled contexts, checked elsewhere).
fn check_context(context: &Value, at: &str) -> Result<(), CanonError> {
    match context {
        Value::Null => Err(lossy(format!("{at}: a null context would drop the terms under it"))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_context(item, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Value::Object(definitions) => check_definitions(definitions, at),
        _ => Ok(()),
    }
}

fn check_definitions(definitions: &Map<String, Value>, at: &str) -> Result<(), CanonError> {
    for (term, definition) in definitions {
        let path = format!("{at}.{term}");
        match (term.as_str(), definition) {
            ("@vocab", Value::Null) => {
                return Err(lossy(format!("{path}: a null @vocab would drop the terms no context defines")));
            }
            ("@direction", _) => {
                return Err(lossy(format!(
                    "{path}: a context's default base direction cannot be signed; give @direction on each value"
                )));
            }
            ("@base", _) => {
                return Err(lossy(format!(
                    "{path}: @base is not accepted in a credential (relative ids are not signed)"
                )));
            }
            ("@vocab", Value::String(iri)) => {
                check_iri_mapping(term, iri, &path)?;
                check_not_verification_vocabulary(term, iri, &path)?;
            }
            (_, _) if term.starts_with('@') => {}
            (_, Value::Null) => {
                return Err(lossy(format!(
                    "{path}: the term {term} is mapped to null, so its values would not be signed"
                )));
            }
            (_, Value::String(iri)) => {
                if iri.starts_with('@') {
                    return Err(lossy(format!(
                        "{path}: an alias of the keyword {iri} is not accepted in a credential"
                    )));
                }
                check_iri_mapping(term, iri, &path)?;
                check_not_verification_vocabulary(term, iri, &path)?;
            }
            (_, Value::Object(expanded)) => check_term_definition(term, expanded, &path)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_term_definition(term: &str, definition: &Map<String, Value>, at: &str) -> Result<(), CanonError> {
    if definition.get("@id").is_some_and(Value::is_null) {
        return Err(lossy(format!("{at}: the term {term} is mapped to null, so its values would not be signed")));
    }
    if definition.contains_key("@direction") {
        return Err(lossy(format!("{at}: a term's base direction cannot be signed; give @direction on each value")));
    }
    let containers = match definition.get("@container") {
        Some(Value::String(c)) => vec![c.as_str()],
        Some(Value::Array(cs)) => cs.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if containers.contains(&"@index") {
        return Err(lossy(format!("{at}: the keys of an @index container are not part of the RDF data")));
    }
    if definition.contains_key("@reverse") {
        return Err(lossy(format!(
            "{at}: reverse properties are not accepted in a credential (they can hide its facts)"
        )));
    }
    for key in ["@id", "@type"] {
        if let Some(Value::String(iri)) = definition.get(key) {
            if key == "@id" && iri.starts_with('@') {
                return Err(lossy(format!("{at}: an alias of the keyword {iri} is not accepted in a credential")));
            }
            check_iri_mapping(term, iri, at)?;
            if key == "@id" {
                check_not_verification_vocabulary(term, iri, at)?;
            }
        }
    }
    if let Some(scoped) = definition.get("@context") {
        check_context(scoped, &format!("{at}.@context"))?;
    }
    Ok(())
}

/// JSON-LD 1.1 API §4.2.2 (Create Term Definition) requires an *invalid IRI mapping* error for a mapping
/// that is not an IRI; the characters checked here are never allowed in an IRI, compact or not, so a
/// mapping with them can be refused before expansion, whether the term is used or not.
fn check_iri_mapping(term: &str, iri: &str, at: &str) -> Result<(), CanonError> {
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c);
    if iri.starts_with('@') || !iri.contains(forbidden) {
        return Ok(());
    }
    Err(CanonError::JsonLd(format!("invalid IRI mapping: {at}: the term {term} maps to {iri:?}, which is not an IRI")))
}

fn check_not_verification_vocabulary(term: &str, iri: &str, at: &str) -> Result<(), CanonError> {
    match VERIFICATION_VOCABULARIES.iter().find(|ns| iri.starts_with(*ns)) {
        Some(ns) => Err(lossy(format!(
            "{at}: the term {term} maps into {ns}, whose terms verification reads only under their own names"
        ))),
        None => Ok(()),
    }
}

/// The document with each language value that has a base direction turned into the literal jsonld.js
/// makes of it with `rdfDirection: "i18n-datatype"`: `{"@value": v, "@type": "https://www.w3.org/ns/i18n#l_d"}`
/// (the language lowercased, empty when there is none).
pub(super) fn with_i18n_datatypes(document: &Value) -> Result<Value, CanonError> {
    let mut document = document.clone();
    rewrite_directions(&mut document)?;
    Ok(document)
}

fn rewrite_directions(node: &mut Value) -> Result<(), CanonError> {
    match node {
        Value::Array(items) => items.iter_mut().try_for_each(rewrite_directions),
        // A direction on an object that is not a value object (or whose `@value` is aliased) would be dropped.
        Value::Object(map) if map.contains_key("@direction") && !map.contains_key("@value") => {
            Err(lossy("@direction is only accepted on a value object written with @value".into()))
        }
        Value::Object(map) if map.contains_key("@value") => {
            let Some(direction) = map.remove("@direction") else { return Ok(()) };
            let direction = match &direction {
                Value::Null => return Ok(()),
                Value::String(d) if d == "ltr" || d == "rtl" => d.clone(),
                other => return Err(CanonError::JsonLd(format!("invalid base direction {other}: must be ltr or rtl"))),
            };
            if !map.get("@value").is_some_and(Value::is_string) {
                return Err(CanonError::JsonLd("a value with @direction must be a string".into()));
            }
            if map.contains_key("@type") {
                return Err(CanonError::JsonLd("a value object cannot have both @type and @direction".into()));
            }
            let language = match map.remove("@language") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(l)) => l.to_ascii_lowercase(),
                Some(other) => return Err(CanonError::JsonLd(format!("invalid @language {other}"))),
            };
            map.insert("@type".into(), Value::String(format!("{I18N}{language}_{direction}")));
            Ok(())
        }
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key != "@context" {
                    rewrite_directions(value)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The document as JSON text for the JSON-LD processor, with its numbers (outside contexts) written so that
/// the processor turns them into the literals JSON-LD 1.1 prescribes and jsonld.js produces: an integer
/// below 10^21 as its digits (an `xsd:integer`), any other number with 16 significant digits (an
/// `xsd:double`, `printf("%1.15E")` as JSON-LD 1.1 API §8.6 "Data Round Tripping" describes, e.g. 9.3 as
/// `9.300000000000001E0`).
///
/// Numbers that JSON-LD processors read as IEEE doubles but cannot write back without loss, or write
/// inconsistently, are refused: integers beyond 2^53 that no double holds exactly, numbers that need more
/// than 15 significant digits (16-digit rounding would merge them with their neighbours), and numbers below
/// 10^-6 in magnitude with one significant digit (jsonld.js writes `1e-7` as the integer `0`). A string keeps
/// any of them.
pub(super) fn to_json_ld_bytes(document: &Value) -> Result<Vec<u8>, CanonError> {
    let mut out = Vec::with_capacity(1024);
    write_node(document, &mut out)?;
    Ok(out)
}

fn write_node(node: &Value, out: &mut Vec<u8>) -> Result<(), CanonError> {
    let json = |e: serde_json::Error| CanonError::JsonLd(e.to_string());
    match node {
        Value::Number(n) => out.extend_from_slice(number_text(n)?.as_bytes()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_node(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).map_err(json)?;
                out.push(b':');
                if key == "@context" {
                    // Contexts as written (`"@version": 1.1` must stay 1.1).
                    serde_json::to_writer(&mut *out, value).map_err(json)?;
                } else {
                    write_node(value, out)?;
                }
            }
            out.push(b'}');
        }
        other => serde_json::to_writer(&mut *out, other).map_err(json)?,
    }
    Ok(())
}

/// 2^53: the integers up to it are exactly the ones every double-based JSON-LD processor keeps.
const MAX_SAFE_INTEGER: u64 = 1 << 53;

fn number_text(n: &serde_json::Number) -> Result<String, CanonError> {
    let unsafe_integer = |text: String| {
        lossy(format!(
            "the number {text} is beyond 2^53 and no JSON-LD processor keeps it exactly; write it as a string"
        ))
    };
    if let Some(u) = n.as_u64() {
        // Above 2^53 only integers that a double holds exactly are read the same by every processor.
        return if u <= MAX_SAFE_INTEGER || (u as f64) as u64 == u {
            Ok(u.to_string())
        } else {
            Err(unsafe_integer(u.to_string()))
        };
    }
    if let Some(i) = n.as_i64() {
        return if i.unsigned_abs() <= MAX_SAFE_INTEGER || (i as f64) as i64 == i {
            Ok(i.to_string())
        } else {
            Err(unsafe_integer(i.to_string()))
        };
    }
    let Some(x) = n.as_f64() else { return Err(lossy(format!("the number {n} is not a finite double"))) };
    if x.fract() == 0.0 && (1e20..1e21).contains(&x.abs()) {
        // JSON-LD makes these integers; oxjsonld 0.2.7 makes them doubles (its threshold is off by one digit).
        return Err(lossy(format!(
            "the number {n} is an integer of 21 digits, which the JSON-LD library transforms incorrectly; write it as a string"
        )));
    }
    if x.fract() == 0.0 && x.abs() < 1e21 {
        return Ok(format!("{x:.0}"));
    }
    let shortest = format!("{x:e}");
    let digits = shortest.split('e').next().unwrap_or_default().bytes().filter(u8::is_ascii_digit).count();
    if x.abs() < 1e-6 && digits == 1 {
        // JavaScript writes such a number without a '.' ("1e-7"), which jsonld.js takes for an integer.
        return Err(lossy(format!(
            "the number {n} is below 10^-6 with one significant digit, which JSON-LD processors transform inconsistently (jsonld.js signs it as 0); write it as a string"
        )));
    }
    if digits > 15 {
        return Err(lossy(format!(
            "the number {n} needs {digits} significant digits, more than the 15 that JSON-LD processors keep; round it or write it as a string"
        )));
    }
    Ok(format!("{x:.15e}"))
}

/// The dataset with every IRI, blank node and language tag validated (oxjsonld's lenient mode keeps what
/// its strict mode would silently drop), language tags in lower case as JSON-LD processors normalise them.
pub(super) fn validated(quads: Vec<oxrdf::Quad>) -> Result<Vec<oxrdf::Quad>, CanonError> {
    let mut invalid = BTreeSet::new();
    let named = |n: &oxrdf::NamedNode, invalid: &mut BTreeSet<String>| {
        if oxrdf::NamedNode::new(n.as_str()).is_err() {
            invalid.insert(n.as_str().to_owned());
        }
    };
    let mut blank_ids = BTreeSet::new();
    let mut out = Vec::with_capacity(quads.len());
    for mut quad in quads {
        match &quad.subject {
            oxrdf::NamedOrBlankNode::NamedNode(n) => named(n, &mut invalid),
            oxrdf::NamedOrBlankNode::BlankNode(b) => {
                blank_ids.insert(b.as_str().to_owned());
            }
        }
        named(&quad.predicate, &mut invalid);
        match &quad.object {
            oxrdf::Term::NamedNode(n) => named(n, &mut invalid),
            oxrdf::Term::BlankNode(b) => {
                blank_ids.insert(b.as_str().to_owned());
            }
            oxrdf::Term::Literal(l) => {
                named(&oxrdf::NamedNode::new_unchecked(l.datatype().as_str()), &mut invalid);
                if let Some(language) = l.language() {
                    match oxrdf::Literal::new_language_tagged_literal(l.value(), language) {
                        Ok(normalised) => quad.object = normalised.into(),
                        Err(_) => {
                            invalid.insert(format!("@{language} (not a language tag)"));
                        }
                    }
                }
            }
        }
        match &quad.graph_name {
            oxrdf::GraphName::NamedNode(n) => named(n, &mut invalid),
            oxrdf::GraphName::BlankNode(b) => {
                blank_ids.insert(b.as_str().to_owned());
            }
            oxrdf::GraphName::DefaultGraph => {}
        }
        out.push(quad);
    }
    for id in blank_ids {
        if oxrdf::BlankNode::new(&id).is_err() {
            invalid.insert(format!("_:{id}"));
        }
    }
    if invalid.is_empty() {
        return Ok(out);
    }
    let shown: Vec<String> = invalid.iter().take(5).map(|v| format!("{v:?}")).collect();
    let more = if invalid.len() > 5 { format!(" and {} more", invalid.len() - 5) } else { String::new() };
    Err(lossy(format!("values that are not valid IRIs would not be signed: {}{more}", shown.join(", "))))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{CanonError, rdfc};

    fn credential(extra: serde_json::Value) -> serde_json::Value {
        let mut doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject", "name": "Alice"}});
        if let (Some(doc), serde_json::Value::Object(extra)) = (doc.as_object_mut(), extra) {
            doc.extend(extra);
        }
        doc
    }

    fn refused(doc: &serde_json::Value) -> String {
        match rdfc(doc) {
            Err(e @ (CanonError::Lossy(_) | CanonError::JsonLd(_))) => e.to_string(),
            other => panic!("not refused: {other:?} for {doc}"),
        }
    }

    #[test]
    fn values_that_are_not_iris_are_refused_not_dropped() {
        for field in ["credentialSchema", "evidence", "termsOfUse", "refreshService"] {
            let doc = credential(json!({field: {"id": "https ://not-a-url/x", "type": "ExampleType"}}));
            assert!(refused(&doc).contains("not valid IRIs"), "{field}");
        }
        let relative = credential(json!({"id": "just-a-name"}));
        assert!(refused(&relative).contains("not valid IRIs"));
    }

    #[test]
    fn a_term_mapped_to_an_invalid_iri_is_an_invalid_iri_mapping_used_or_not() {
        let used = json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"ExampleTestCredential": "https ://not-a-url#X"}],
                          "type": ["VerifiableCredential", "ExampleTestCredential"], "issuer": "did:example:i",
                          "credentialSubject": {"id": "did:example:s"}});
        assert!(refused(&used).contains("invalid IRI mapping"));
        let mut unused = used.clone();
        unused["type"] = json!(["VerifiableCredential"]);
        assert!(refused(&unused).contains("invalid IRI mapping"));
    }

    #[test]
    fn what_json_ld_ignores_is_refused() {
        let cases = [
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": null}]}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"note": null}], "note": "x"}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"note": {"@id": null}}], "note": "x"}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"@direction": "rtl"}]}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"ex": {"@id": "https://ex.org/p", "@container": "@index"}}]}),
            json!({"@foo": "ignored"}),
            json!({"credentialSubject": {"id": "did:example:s", "@index": "ignored"}}),
            json!({"credentialSubject": {"@context": null, "id": "did:example:s"}}),
            // What could move a fact of the credential away from the top-level key verifiers read.
            json!({"@nest": {"validUntil": "2020-01-01T00:00:00Z"}}),
            json!({"@included": [{"id": "urn:uuid:c", "validUntil": "2020-01-01T00:00:00Z"}]}),
            json!({"https://www.w3.org/2018/credentials#validUntil": "2020-01-01T00:00:00Z"}),
            json!({"evidence": {"id": "urn:uuid:c", "type": "Evidence", "validUntil": "2020-01-01T00:00:00Z"}}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"expiry": "https://www.w3.org/2018/credentials#validUntil"}], "expiry": "2020-01-01T00:00:00Z"}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"v": "@value"}], "description": {"v": "x", "@direction": "rtl"}}),
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"@base": "urn:uuid:"}]}),
        ];
        for case in cases {
            let mut doc = credential(json!({"id": "urn:uuid:c"}));
            if let (Some(doc), Some(extra)) = (doc.as_object_mut(), case.as_object()) {
                doc.extend(extra.clone());
            }
            refused(&doc);
        }
    }

    #[test]
    fn base_directions_are_signed_as_i18n_datatypes() {
        let doc = |direction: &str| {
            credential(json!({"description": {"@value": "مرحبا", "@language": "AR", "@direction": direction}}))
        };
        let (ltr, rtl) = (rdfc(&doc("ltr")).unwrap(), rdfc(&doc("rtl")).unwrap());
        assert_ne!(ltr, rtl);
        assert!(rtl.contains("\"مرحبا\"^^<https://www.w3.org/ns/i18n#ar_rtl>"), "{rtl}");
        let without_language = credential(json!({"description": {"@value": "x", "@direction": "rtl"}}));
        assert!(rdfc(&without_language).unwrap().contains("\"x\"^^<https://www.w3.org/ns/i18n#_rtl>"));
        let bad = credential(json!({"description": {"@value": "x", "@direction": "up"}}));
        refused(&bad);
    }
}
