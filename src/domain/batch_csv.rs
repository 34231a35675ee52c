//! Reading a CSV batch as assessors write it: exported from Excel, LibreOffice or Google Sheets, with column
//! headers in their own words and language, and sometimes in a legacy Windows encoding.
//!
//! - Headers are matched forgivingly: case, accents, spaces and punctuation do not matter, and each column
//!   has names in English, Bulgarian, Greek, Spanish and Italian (`E-mail`, `Email address`, `Correo
//!   electrónico`, `Имейл`, `Ηλεκτρονικό ταχυδρομείο`…). An unknown column is refused, named as written, with
//!   the accepted names.
//! - Text must be UTF-8 (with or without a byte-order mark). A file Excel saved as "CSV (Comma delimited)" in
//!   Windows-1251 (Cyrillic), Windows-1253 (Greek) or Windows-1252 (Western) is recognised and refused with
//!   how to save it as UTF-8. It is not decoded: the three encodings share their byte values, and a wrong
//!   guess would put a wrongly spelt name on a signed credential, which is worse than asking once.
//! - Rows are numbered as the spreadsheet shows them (the header is row 1), and every column keeps the
//!   header the assessor wrote, so errors can name both.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use super::award::{AwardInput, RecipientInput};
use super::validation::ValidationErrors;

/// Most awards in one batch.
pub const MAX_BATCH: usize = 10_000;

/// A batch as read: each row's number and its award, or why it could not be read.
pub type ParsedRows = Vec<(usize, Result<AwardInput, String>)>;

/// A CSV batch, read.
#[derive(Debug, Default)]
pub struct CsvBatch {
    /// Each row's spreadsheet number and its award (or why it could not be read).
    pub rows: ParsedRows,
    /// For each column the file has, by its canonical name (`name`, `email`, …): the header as the
    /// assessor wrote it.
    pub columns: BTreeMap<&'static str, String>,
}

/// The columns a batch may have: the canonical name, then the other names it is known by (compared after
/// [`fold`]: lower case, without accents, spaces or punctuation).
const COLUMNS: [(&str, &[&str]); 9] = [
    (
        "name",
        &[
            "full name",
            "learner",
            "learner name",
            "recipient",
            "recipient name",
            "student",
            "student name",
            "participant",
            "име",
            "пълно име",
            "име и фамилия",
            "име на участника",
            "όνομα",
            "ονοματεπώνυμο",
            "πλήρες όνομα",
            "nombre",
            "nombre completo",
            "nombre y apellidos",
            "nome",
            "nome completo",
            "nome e cognome",
            "nominativo",
        ],
    ),
    (
        "email",
        &[
            "e-mail",
            "email address",
            "e-mail address",
            "mail",
            "имейл",
            "имейл адрес",
            "e-mail адрес",
            "електронна поща",
            "ел. поща",
            "е-поща",
            "ηλεκτρονικό ταχυδρομείο",
            "διεύθυνση email",
            "διεύθυνση ηλεκτρονικού ταχυδρομείου",
            "correo",
            "correo electrónico",
            "dirección de correo",
            "posta elettronica",
            "indirizzo email",
            "indirizzo e-mail",
        ],
    ),
    ("id", &["learner id", "recipient id", "did", "identifier"]),
    (
        "result",
        &[
            "grade",
            "score",
            "mark",
            "резултат",
            "оценка",
            "αποτέλεσμα",
            "βαθμός",
            "resultado",
            "nota",
            "calificación",
            "risultato",
            "voto",
        ],
    ),
    (
        "awarded_at",
        &[
            "awarded",
            "award date",
            "date awarded",
            "issue date",
            "issued",
            "date",
            "дата",
            "дата на издаване",
            "дата на присъждане",
            "ημερομηνία",
            "ημερομηνία απονομής",
            "fecha",
            "fecha de emisión",
            "fecha de concesión",
            "data",
            "data di rilascio",
            "data di conseguimento",
        ],
    ),
    (
        "valid_until",
        &[
            "expires",
            "expiry",
            "expiry date",
            "expiration",
            "expiration date",
            "валидно до",
            "срок на валидност",
            "ισχύει έως",
            "λήξη",
            "ημερομηνία λήξης",
            "válido hasta",
            "fecha de caducidad",
            "valido fino al",
            "scadenza",
            "data di scadenza",
        ],
    ),
    ("language", &["lang", "език", "γλώσσα", "idioma", "lingua"]),
    ("achievement_id", &["achievement", "badge", "badge id"]),
    ("allow_duplicate", &["duplicate", "allow duplicates"]),
];

/// Headers of a family name on its own (a sheet with first and family names in two columns): the credential
/// carries one name, as printed, so these are pointed out rather than guessed at.
const SURNAME: [&str; 10] = [
    "surname",
    "last name",
    "family name",
    "фамилия",
    "презиме",
    "επώνυμο",
    "apellidos",
    "apellido",
    "cognome",
    "cognomi",
];

/// A header reduced to what identifies it: Unicode-decomposed, accents and other marks dropped, letters and
/// digits only, lower case, Greek final sigma as any sigma (`E-mail` and `e mail` are `email`; `ΒΑΘΜΌΣ` and
/// `βαθμός` are `βαθμοσ`). Both sides of a comparison are folded alike, so `й` becoming `и` is harmless.
fn fold(header: &str) -> String {
    header
        .nfd()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// The canonical column a header names, if any.
fn canonical(header: &str) -> Option<&'static str> {
    let folded = fold(header);
    COLUMNS
        .iter()
        .find(|(name, aliases)| fold(name) == folded || aliases.iter().any(|a| fold(a) == folded))
        .map(|c| c.0)
}

/// The spreadsheet letter of the 0-based column `index` (`A`, …, `Z`, `AA`, …).
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Why a file that is not UTF-8 cannot be read, and how to save it so it can: the legacy encoding it most
/// likely is, as Firefox's detector (`chardetng`) judges it.
fn not_utf8(body: &[u8]) -> String {
    const HOW: &str = "save it as UTF-8: in Excel, File › Save As › \"CSV UTF-8 (Comma delimited) (*.csv)\"; in \
                       LibreOffice Calc, Save As › Text CSV, tick \"Edit filter settings\" and choose \"Unicode \
                       (UTF-8)\"; Google Sheets always downloads UTF-8";
    if body.starts_with(&[0xFF, 0xFE]) || body.starts_with(&[0xFE, 0xFF]) {
        return format!("the CSV file is UTF-16 (Excel's \"Unicode Text\"), not UTF-8; {HOW}");
    }
    // chardetng is Firefox's detector for unlabelled legacy text, built for exactly this guess.
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(body, true);
    let encoding = detector.guess(None, true);
    let guess = if encoding == encoding_rs::WINDOWS_1251 {
        "Windows-1251 (Cyrillic)".to_owned()
    } else if encoding == encoding_rs::WINDOWS_1253 || encoding == encoding_rs::ISO_8859_7 {
        "Windows-1253 (Greek)".to_owned()
    } else if encoding == encoding_rs::WINDOWS_1252 {
        "Windows-1252 (Western European)".to_owned()
    } else {
        encoding.name().to_owned()
    };
    format!(
        "the CSV file is not UTF-8: it looks like Excel's \"CSV (Comma delimited)\" in {guess}, which would garble \
         names; {HOW}"
    )
}

/// Reads a CSV batch (see the module documentation): comma- or semicolon-separated (whichever the header
/// uses), a header row naming at least the learner's name and e-mail, and optionally `id`, `result`,
/// `awarded_at`, `valid_until`, `language`, `achievement_id`, `allow_duplicate`.
///
/// Errors: the file is not UTF-8 (with the likely encoding and how to save it), a header is unknown or given
/// twice, a required column is missing, or the batch has more than [`MAX_BATCH`] rows. A row that cannot be
/// read is returned as that row's error.
pub fn parse_csv(body: &[u8]) -> Result<CsvBatch, ValidationErrors> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| ValidationErrors::single("file", not_utf8(body)))?;
    let header = text.lines().next().unwrap_or_default();
    if header.contains('\t') && !header.contains(',') && !header.contains(';') {
        return Err(ValidationErrors::single(
            "file",
            "the file is tab-separated (Excel's \"Text (Tab delimited)\" or \"Unicode Text\"); save it as \"CSV UTF-8 \
             (Comma delimited)\"",
        ));
    }
    let delimiter = if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let written: Vec<String> = reader
        .headers()
        .map_err(|e| ValidationErrors::single("header", e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut errors = ValidationErrors::default();
    let mut columns: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut letters: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut positions: Vec<Option<&'static str>> = Vec::with_capacity(written.len());
    for (i, header) in written.iter().enumerate() {
        let letter = column_letter(i);
        match canonical(header) {
            _ if header.is_empty() => positions.push(None), // a trailing empty column spreadsheets add
            Some(name) => {
                if let Some(first) = columns.get(name) {
                    let first_letter = letters.get(name).cloned().unwrap_or_default();
                    errors.add(
                        "header",
                        format!(
                            "column {first_letter} {first:?} and column {letter} {header:?} both give the learner's {name}; keep one"
                        ),
                    );
                } else {
                    columns.insert(name, header.clone());
                    letters.insert(name, letter.clone());
                }
                positions.push(Some(name));
            }
            None if SURNAME.iter().any(|s| fold(s) == fold(header)) => {
                errors.add(
                    "header",
                    format!(
                        "column {letter} {header:?} holds a family name: put each learner's full name, as it should be \
                         printed, in one column (for example \"Name\"), and remove this one"
                    ),
                );
                positions.push(None);
            }
            None => {
                let accepted = COLUMNS
                    .iter()
                    .map(|(name, aliases)| {
                        format!("{name} (or {})", aliases.iter().take(3).copied().collect::<Vec<_>>().join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                errors.add(
                    "header",
                    format!("column {letter} {header:?} is not a column microcred knows; accepted: {accepted}"),
                );
                positions.push(None);
            }
        }
    }
    for (required, example) in [("name", "Name"), ("email", "Email")] {
        if !columns.contains_key(required) {
            errors
                .add("header", format!("a column with the learner's {required} is required (for example {example:?})"));
        }
    }
    errors.finish(())?;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.row_at(p.byte(), 0));
                rows.push((row, Err(format!("unreadable CSV row: {e}"))));
                continue;
            }
        };
        // Spreadsheet row numbers: the line the record starts on (blank lines count, as a spreadsheet shows
        // them), less the line breaks inside earlier cells (a spreadsheet shows such a cell in one row).
        let breaks = record.iter().map(|cell| cell.matches('\n').count()).sum();
        let row = record.position().map_or(0, |p| lines.row_at(p.byte(), breaks));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() >= MAX_BATCH {
            return Err(ValidationErrors::single("rows", format!("a batch holds at most {MAX_BATCH} awards")));
        }
        let cell = |name: &str| {
            positions
                .iter()
                .position(|p| *p == Some(name))
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let allow_duplicate = match cell("allow_duplicate").as_deref().map(str::to_lowercase).as_deref() {
            None | Some("false" | "no" | "0") => Ok(None),
            Some("true" | "yes" | "1") => Ok(Some(true)),
            Some(other) => Err(format!("allow_duplicate must be true or false, not {other:?}")),
        };
        rows.push((
            row,
            allow_duplicate.map(|allow_duplicate| AwardInput {
                achievement_id: cell("achievement_id"),
                recipient: Some(RecipientInput { name: cell("name"), email: cell("email"), id: cell("id") }),
                result: cell("result"),
                awarded_at: cell("awarded_at"),
                valid_until: cell("valid_until"),
                language: cell("language"),
                allow_duplicate,
                // A CSV batch says it once, with `?notify=false`.
                notify: None,
            }),
        ));
    }
    Ok(CsvBatch { rows, columns })
}

/// Spreadsheet row numbers of records, counted as the reader moves forward (one pass over the text, however
/// many rows).
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Where counting has reached, and the 1-based line there.
    at: usize,
    line: usize,
    /// Line breaks inside the cells of the records so far.
    inside_cells: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self { bytes: text.as_bytes(), at: 0, line: 1, inside_cells: 0 }
    }

    /// The row of a record starting at `byte` (the reader reports a record after blank lines as starting at
    /// the first of them, so line breaks right there are skipped) whose own cells hold `breaks` line breaks.
    fn row_at(&mut self, byte: u64, breaks: usize) -> usize {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        if start > self.at {
            self.line += self.bytes[self.at..start].iter().filter(|b| **b == b'\n').count();
            self.at = start;
        }
        let row = self.line - self.inside_cells;
        self.inside_cells += breaks;
        row
    }
}

/// The canonical column an award field belongs to (`recipient.email` is the `email` column), for naming the
/// column an error is in.
pub fn column_of_field(field: &str) -> Option<&'static str> {
    let field = field.strip_prefix("recipient.").unwrap_or(field);
    COLUMNS.iter().map(|c| c.0).find(|name| *name == field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_semicolons_and_any_script_is_read_by_spreadsheet_row() {
        let csv = "\u{feff}Name;Email;Result\nИван Петров;ivan@example.bg;92\n\n\"Γιώργος; Jr.\";g@example.gr;\n";
        let rows = parse_csv(csv.as_bytes()).unwrap().rows;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!(first.recipient.as_ref().unwrap().name.as_deref(), Some("Иван Петров"));
        assert_eq!(first.result.as_deref(), Some("92"));
        assert_eq!(rows[1].0, 4, "the blank line still counts, as in the spreadsheet");
        assert_eq!(rows[1].1.as_ref().unwrap().recipient.as_ref().unwrap().name.as_deref(), Some("Γιώργος; Jr."));
        // A cell with a line break is one spreadsheet row (found by review: Bob was reported as row 4).
        let rows = parse_csv(b"Name,Email\n\"Ann\nLee\",a@x.eu\nBob,bad\n").unwrap().rows;
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn headers_are_matched_in_five_languages_whatever_their_case_accents_and_punctuation() {
        for (header, expected) in [
            ("E-mail", "email"),
            ("e-mail", "email"),
            ("Email address", "email"),
            ("E-MAIL ADDRESS", "email"),
            ("Correo electrónico", "email"),
            ("Correo electronico", "email"),
            ("Имейл", "email"),
            ("Ел. поща", "email"),
            ("Ηλεκτρονικό ταχυδρομείο", "email"),
            ("Indirizzo e-mail", "email"),
            ("Full name", "name"),
            ("Име и фамилия", "name"),
            ("Όνομα", "name"),
            ("ΟΝΟΜΑΤΕΠΏΝΥΜΟ", "name"),
            ("Nombre y apellidos", "name"),
            ("Nome e cognome", "name"),
            ("Awarded at", "awarded_at"),
            ("awarded_at", "awarded_at"),
            ("Fecha de emisión", "awarded_at"),
            ("Valid until", "valid_until"),
            ("Scadenza", "valid_until"),
            ("Оценка", "result"),
            ("Βαθμός", "result"),
            ("ΒΑΘΜΟΣ", "result"),
        ] {
            assert_eq!(canonical(header), Some(expected), "{header}");
        }
        assert_eq!(canonical("Colour"), None);
        let batch = parse_csv("Nombre y apellidos,Correo electrónico,Nota\nAna,ana@example.es,9\n".as_bytes()).unwrap();
        let award = batch.rows[0].1.as_ref().unwrap();
        assert_eq!(award.recipient.as_ref().unwrap().email.as_deref(), Some("ana@example.es"));
        assert_eq!(award.result.as_deref(), Some("9"));
        assert_eq!(batch.columns["email"], "Correo electrónico");
    }

    #[test]
    fn csv_header_problems_are_named_with_their_column() {
        let errors = parse_csv(b"nom,email,colour\nx,y,z\n").unwrap_err();
        let messages: Vec<&str> = errors.0.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("column A \"nom\"") && m.contains("accepted: name")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("column C \"colour\"")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("learner's name is required")), "{messages:?}");
        let twice = parse_csv(b"Name,E-mail,Email\nx,y,z\n").unwrap_err();
        assert!(twice.0[0].message.contains("column B \"E-mail\" and column C \"Email\""), "{twice:?}");
        let split = parse_csv("Nome,Cognome,Email\nx,y,z\n".as_bytes()).unwrap_err();
        assert!(split.0[0].message.contains("column B \"Cognome\" holds a family name"), "{split:?}");
        let tabs = parse_csv(b"Name\tEmail\nx\ty\n").unwrap_err();
        assert!(tabs.0[0].message.contains("tab-separated"), "{tabs:?}");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn legacy_windows_encodings_are_recognised_and_refused_with_how_to_save_as_utf8() {
        for (encoding, text, named) in [
            (encoding_rs::WINDOWS_1251, "Име,Имейл\nИван Петров,ivan@example.bg\n", "Windows-1251"),
            (encoding_rs::WINDOWS_1253, "Όνομα,Email\nΓιώργος Παπαδόπουλος,g@example.gr\n", "Windows-1253"),
            (encoding_rs::WINDOWS_1252, "Nome,Email\nNiccolò Düring,n@example.it\n", "Windows-1252"),
        ] {
            let (bytes, _, _) = encoding.encode(text);
            let errors = parse_csv(&bytes).unwrap_err();
            let message = &errors.0[0].message;
            assert!(message.contains(named) && message.contains("CSV UTF-8"), "{named}: {message}");
        }
        let errors = parse_csv(&[0xff, 0xfe, b'N', 0]).unwrap_err();
        assert!(errors.0[0].message.contains("UTF-16"), "{errors:?}");
    }
}
