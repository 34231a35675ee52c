//! Whether a printed certificate shows what its signed credential says: every fact a template prints —
//! learner, achievement, issuer, URL, each row of the facts table (dates, the issuer's country, workload and ECTS, EQF level,
//! assessment, participation, supervision, quality assurance, result, credential id) and each learning
//! outcome — compared in the language the certificate was printed in.
//!
//! Templates differ (an operator's may leave rows out), so a row is compared where the page prints its
//! label: the label must be followed by the signed value. A learner, achievement, issuer or URL must appear
//! on any certificate.

use serde_json::Value;

use super::facts::Facts;
use super::i18n::{LANGUAGES, Labels};
use super::layout::uppercase;
use super::template::FACT_ROWS;

/// A fact printed on a certificate that the signed credential does not back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// Which fact: `learner`, `achievement`, `issuer`, `url`, `learning_outcome`, or a row of the facts table
    /// (`date_of_issue`, `valid_until`, `issuer_country`, `workload`, `eqf_level`, `assessment`, `participation`, `supervision`,
    /// `quality_assurance`, `prerequisites`, `result`, `credential_id`).
    pub fact: &'static str,
    /// What the signed credential says (as the certificate prints it, in its language).
    pub expected: String,
    /// What the page prints instead, where it can be told (a row's value after its label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printed: Option<String>,
}

/// Words separated by single spaces.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Without any whitespace (wrapped lines break anywhere) or characters that are never drawn (joiners,
/// bidi controls), in logical order as certificates write text whatever its direction.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !super::fonts::is_default_ignorable(*c)).collect()
}

/// The language a certificate was printed in: the one whose fact-row labels the page shows most (none when
/// the template prints no facts table).
fn printed_language(page: &str) -> Option<&'static str> {
    let mut best = None;
    let mut most = 0;
    for lang in LANGUAGES {
        let labels = Labels::for_tag(lang);
        let found = FACT_ROWS.iter().filter(|key| page.contains(&words(labels.get(key)))).count();
        if found > most {
            (best, most) = (Some(lang), found);
        }
    }
    best
}

/// The credential's facts that the printed text (`printed`, the page's text objects in drawing order) does
/// not show. Empty when every printed fact matches.
pub fn printed_mismatches(printed: &[String], credential: &Value) -> Vec<Mismatch> {
    let page = words(&printed.join(" "));
    let squashed = squash(&page);
    // Where each text object starts and ends in `squashed`: a row's label and value are text objects of their
    // own, so a genuine row starts and ends on these boundaries (text added to a value's line does not).
    let mut boundaries = std::collections::HashSet::from([0]);
    let mut offset = 0;
    for line in printed {
        offset += squash(line).len();
        boundaries.insert(offset);
    }
    let whole = |needle: &str| {
        squashed
            .match_indices(needle)
            .any(|(at, found)| boundaries.contains(&at) && boundaries.contains(&(at + found.len())))
    };
    let Some(lang) = printed_language(&page) else {
        return basic_facts_in_any_language(&squashed, credential);
    };
    let labels = Labels::for_tag(lang);
    let facts = Facts::of(credential, lang);
    let mut mismatches = Vec::new();

    let learner_printed =
        between(&page, labels.get("certify"), &facts.placeholder("completed", labels).unwrap_or_default());
    for (fact, value, shown) in [
        ("learner", facts.learner.clone(), learner_printed),
        ("achievement", facts.achievement.clone(), None),
        ("issuer", facts.issuer.clone(), None),
        ("url", facts.url.clone().unwrap_or_default(), None),
    ] {
        let missing = !value.trim().is_empty() && !squashed.contains(&squash(&value));
        // Where the page shows the learner's line, it must be exactly the name (not one letter more).
        let different = shown.as_ref().is_some_and(|p| squash(p) != squash(&value));
        if missing || different {
            mismatches.push(Mismatch { fact, expected: words(&value), printed: shown });
        }
    }
    for key in FACT_ROWS {
        let Some(expected) = facts.row(key, labels).map(|v| words(&v)).filter(|v| !v.is_empty()) else { continue };
        let label = words(labels.get(key));
        let Some(at) = page.find(&label) else { continue };
        // Wrapping may break a value anywhere (a long id mid-token): compare without whitespace.
        if !whole(&format!("{}{}", squash(&label), squash(&expected))) {
            let shown = following(&page[at + label.len()..], squash(&expected).chars().count());
            mismatches.push(Mismatch { fact: key, expected, printed: Some(shown) });
        }
    }
    let heading = labels.get("learning_outcomes");
    if page.contains(&words(heading)) || page.contains(&words(&uppercase(heading))) {
        for outcome in &facts.learning_outcomes {
            if !squashed.contains(&squash(outcome)) {
                mismatches.push(Mismatch { fact: "learning_outcome", expected: words(outcome), printed: None });
            }
        }
    }
    mismatches
}

/// The start of `text` holding `count` characters other than whitespace (what a page prints where a value
/// of that length belongs), trimmed.
fn following(text: &str, count: usize) -> String {
    let mut seen = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            if !c.is_whitespace() {
                seen += 1;
            }
            seen > count
        })
        .map_or(text.len(), |(i, _)| i);
    text[..end].trim().to_owned()
}

/// The text between `start` and `end` on the page (the learner's name, on templates that print it between
/// "This is to certify that" and "has completed…").
fn between(page: &str, start: &str, end: &str) -> Option<String> {
    let (start, end) = (words(start), words(end));
    if start.is_empty() || end.is_empty() {
        return None;
    }
    let from = page.find(&start)? + start.len();
    let to = from + page[from..].find(&end)?;
    Some(page[from..to].trim().to_owned()).filter(|s| !s.is_empty())
}

/// For templates without a facts table: the learner, achievement, issuer and URL, each in any language.
fn basic_facts_in_any_language(squashed: &str, credential: &Value) -> Vec<Mismatch> {
    let facts: Vec<Facts> = LANGUAGES.iter().map(|lang| Facts::of(credential, lang)).collect();
    let mut mismatches = Vec::new();
    let mut check = |fact: &'static str, get: &dyn Fn(&Facts) -> String| {
        let values: Vec<String> = facts.iter().map(get).filter(|v| !v.trim().is_empty()).collect();
        if let Some(first) = values.first()
            && !values.iter().any(|v| squashed.contains(&squash(v)))
        {
            mismatches.push(Mismatch { fact, expected: first.clone(), printed: None });
        }
    };
    check("learner", &|f| f.learner.clone());
    check("achievement", &|f| f.achievement.clone());
    check("issuer", &|f| f.issuer.clone());
    check("url", &|f| f.url.clone().unwrap_or_default());
    mismatches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::{Paper, Template, extract, render_pdf};
    use crate::vc::credential::example;

    fn printed_text(credential: &Value, lang: &str) -> Vec<String> {
        let pdf = render_pdf(&credential.to_string(), &Template::builtin(), Labels::for_tag(lang), Paper::A4).unwrap();
        extract::read_pdf(&pdf).unwrap().text
    }

    #[test]
    fn a_genuine_certificate_matches_in_every_language() {
        let credential = example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu").to_value();
        for lang in LANGUAGES {
            assert_eq!(printed_mismatches(&printed_text(&credential, lang), &credential), vec![], "{lang}");
        }
    }

    #[test]
    fn every_printed_fact_is_compared_and_named_printed_versus_signed() {
        let credential = example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu").to_value();
        let text = printed_text(&credential, "bg");
        let edit = |from: &str, to: &str| -> Vec<String> { text.iter().map(|l| l.replace(from, to)).collect() };
        let cases = [
            (edit("Иван Петров", "Иван Петрoв"), "learner"),
            (edit("5 кредита ECTS", "6 кредита ECTS"), "workload"),
            (edit("15 януари 2031", "15 януари 2035"), "valid_until"),
            (edit("92", "99"), "result"),
            (edit("Online exam, proctored", "Online exam"), "assessment"),
            (edit("Описва", "Описваше"), "learning_outcome"),
            (edit("Έξυπνες", "Εξυπνες"), "achievement"),
            (edit("Иван Петров", "Иван Петрова"), "learner"),
            (edit("Иван Петров", "Д-р Иван Петров"), "learner"),
            (edit("5 кредита ECTS (125 часа)", "5 кредита ECTS (125 часа) + 1"), "workload"),
        ];
        for (altered, fact) in cases {
            let mismatches = printed_mismatches(&altered, &credential);
            assert_eq!(mismatches.iter().map(|m| m.fact).collect::<Vec<_>>(), [fact], "{mismatches:?}");
        }
        let workload = printed_mismatches(&edit("5 кредита ECTS", "6 кредита ECTS"), &credential).remove(0);
        assert_eq!(workload.expected, "5 кредита ECTS (125 часа)");
        assert_eq!(workload.printed.as_deref(), Some("6 кредита ECTS (125 часа)"));
        let learner = printed_mismatches(&edit("Иван Петров", "Иван Петрoв"), &credential).remove(0);
        assert_eq!(learner.printed.as_deref(), Some("Иван Петрoв"));
    }
}
