//! Translated labels for certificates and credential pages: English, Bulgarian, Greek, Spanish and
//! Italian, kept as data in `templates/i18n/<lang>.toml` and compiled in.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use time::Date;

/// The languages labels exist in, English first (the fallback).
pub const LANGUAGES: [&str; 5] = ["en", "bg", "el", "es", "it"];

static SOURCES: [(&str, &str); 5] = [
    ("en", include_str!("../../templates/i18n/en.toml")),
    ("bg", include_str!("../../templates/i18n/bg.toml")),
    ("el", include_str!("../../templates/i18n/el.toml")),
    ("es", include_str!("../../templates/i18n/es.toml")),
    ("it", include_str!("../../templates/i18n/it.toml")),
];

/// The labels of one language.
#[derive(Debug)]
pub struct Labels {
    /// ISO 639-1 code.
    pub lang: &'static str,
    texts: BTreeMap<String, String>,
    months: Vec<String>,
    /// Country names by ISO 3166-1 alpha-2 code (the `[countries]` table).
    countries: BTreeMap<String, String>,
}

static ALL: LazyLock<Vec<Labels>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            // The files are compiled in and checked by a unit test; a broken one degrades to English.
            let table: toml::Table = toml::from_str(source).unwrap_or_default();
            let texts = table.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect();
            let months = table
                .get("months")
                .and_then(|m| m.as_array())
                .map(|m| m.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let countries = table
                .get("countries")
                .and_then(|c| c.as_table())
                .map(|c| c.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
                .unwrap_or_default();
            Labels { lang, texts, months, countries }
        })
        .collect()
});

impl Labels {
    /// The labels for a BCP 47 tag (`bg`, `el-GR`, `es-419`…), by its primary language; English otherwise.
    pub fn for_tag(tag: &str) -> &'static Labels {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        ALL.iter().find(|l| l.lang == primary).unwrap_or_else(|| Self::english())
    }

    /// Whether labels exist for this tag's primary language.
    pub fn supports(tag: &str) -> bool {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        LANGUAGES.contains(&primary.as_str())
    }

    /// The first language of an HTTP `Accept-Language` header that labels exist for (by q-value).
    pub fn from_accept_language(header: &str) -> Option<&'static Labels> {
        let mut ranges: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                Some((q, tag))
            })
            .filter(|(q, tag)| *q > 0.0 && Self::supports(tag))
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges.first().map(|(_, tag)| Self::for_tag(tag))
    }

    fn english() -> &'static Labels {
        &ALL[0]
    }

    /// The label for `key`, in this language, else in English, else the key itself.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).or_else(|| Self::english().texts.get(key)).map_or(key, String::as_str)
    }

    /// The label for `key` with `{name}` placeholders filled in.
    pub fn format(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in values {
            let placeholder = format!("{{{name}}}");
            // A value ending a sentence's abbreviation ("30 ноември 2026 г.") before the label's own full stop
            // keeps one full stop, not two.
            if value.ends_with('.') {
                text = text.replace(&format!("{placeholder}."), &placeholder);
            }
            text = text.replace(&placeholder, value);
        }
        text
    }

    /// A date as people write it in this language ("27 November 2026", "27 ноември 2026 г.").
    pub fn date(&self, date: Date) -> String {
        let month = usize::from(u8::from(date.month())) - 1;
        let name = self.months.get(month).or_else(|| Self::english().months.get(month)).cloned().unwrap_or_default();
        self.format("date", &[("day", &date.day().to_string()), ("month", &name), ("year", &date.year().to_string())])
    }

    /// The name of the country with ISO 3166-1 alpha-2 code `code` in this language: the `[countries]`
    /// table (the EU, EEA and candidate countries), else its English short name, else the code as given.
    pub fn country(&self, code: &str) -> String {
        let upper = code.trim().to_ascii_uppercase();
        if let Some(name) = self.countries.get(&upper).or_else(|| Self::english().countries.get(&upper)) {
            return name.clone();
        }
        isocountry::CountryCode::for_alpha2(&upper).map_or_else(|_| code.to_owned(), |c| c.name().to_owned())
    }

    /// A number as this language writes it: no trailing `.0`, a decimal comma outside English.
    pub fn number(&self, value: f64) -> String {
        let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") };
        if self.lang == "en" { text } else { text.replace('.', ",") }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_date_ending_in_a_full_stop_ends_the_sentence_once() {
        let bg = Labels::for_tag("bg");
        let text = bg.format("explain_revoked", &[("date", &bg.date(date!(2026 - 11 - 30)))]);
        assert_eq!(text, "Издателят е отнел удостоверението на 30 ноември 2026 г.");
        let en = Labels::for_tag("en");
        let text = en.format("explain_revoked", &[("date", &en.date(date!(2026 - 11 - 30)))]);
        assert_eq!(text, "The issuer revoked this credential on 30 November 2026.");
    }

    #[test]
    fn every_language_has_every_english_key_and_twelve_months() {
        let english = Labels::english();
        for labels in ALL.iter() {
            assert_eq!(labels.months.len(), 12, "{}", labels.lang);
            for key in english.texts.keys() {
                assert!(labels.texts.contains_key(key), "{} lacks {key}", labels.lang);
            }
        }
    }

    #[test]
    fn countries_are_named_in_the_language() {
        assert_eq!(Labels::for_tag("bg").country("GR"), "Гърция");
        assert_eq!(Labels::for_tag("el").country("bg"), "Βουλγαρία");
        assert_eq!(Labels::for_tag("it").country("ES"), "Spagna");
        assert_eq!(Labels::for_tag("es").country("JP"), "Japan");
        assert_eq!(Labels::for_tag("en").country("ZZ"), "ZZ");
        for labels in ALL.iter() {
            assert_eq!(labels.countries.len(), Labels::english().countries.len(), "{}", labels.lang);
        }
    }

    #[test]
    fn dates_and_numbers_read_naturally() {
        let day = date!(2026 - 11 - 27);
        assert_eq!(Labels::for_tag("en").date(day), "27 November 2026");
        assert_eq!(Labels::for_tag("bg-BG").date(day), "27 ноември 2026 г.");
        assert_eq!(Labels::for_tag("el").date(day), "27 Νοεμβρίου 2026");
        assert_eq!(Labels::for_tag("es").date(day), "27 de noviembre de 2026");
        assert_eq!(Labels::for_tag("it").date(day), "27 novembre 2026");
        assert_eq!(Labels::for_tag("xx").lang, "en");
        assert_eq!(Labels::for_tag("it").number(2.5), "2,5");
        assert_eq!(Labels::for_tag("en").number(5.0), "5");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Labels::from_accept_language("fr-FR, el;q=0.8, en;q=0.5").map(|l| l.lang), Some("el"));
        assert_eq!(Labels::from_accept_language("de, fr").map(|l| l.lang), None);
        assert_eq!(Labels::from_accept_language("bg;q=0, it").map(|l| l.lang), Some("it"));
    }
}
