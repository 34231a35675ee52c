//! Text measurement and fitting: wraps text to a box and shrinks it until it fits, so that long names
//! and titles never overflow or get cut. Pure: font metrics in, lines and a size out.

use std::sync::LazyLock;

use super::template::FontFace;

/// Noto Sans Regular (SIL Open Font License; `templates/fonts/OFL.txt`).
pub static REGULAR: &[u8] = include_bytes!("../../templates/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold.
pub static BOLD: &[u8] = include_bytes!("../../templates/fonts/NotoSans-Bold.ttf");
/// Noto Sans Italic.
pub static ITALIC: &[u8] = include_bytes!("../../templates/fonts/NotoSans-Italic.ttf");

/// Millimetres per typographic point.
pub const MM_PER_PT: f32 = 25.4 / 72.0;
/// Line height as a multiple of the font size.
pub const LINE_HEIGHT: f32 = 1.25;
/// Cap height of Noto Sans, as a fraction of the font size (used to centre lines optically).
pub const CAP_HEIGHT: f32 = 0.714;
/// The smallest size last-resort shrinking goes to (pt).
const FLOOR: f32 = 2.0;

/// Advance widths of one face, in font units, by character (parsed once).
pub struct Metrics {
    units_per_em: f32,
    face: ttf_parser::Face<'static>,
    /// Glyph id and advance of each character below [`TABLED`] (`None`: no glyph), so that the common
    /// scripts skip the cmap search, which was 7 % of a certificate's CPU time over HTTP.
    tabled: Box<[Option<(ttf_parser::GlyphId, u16)>]>,
}

/// Characters below U+0800 (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic) are looked up in a table.
const TABLED: u32 = 0x800;

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("units_per_em", &self.units_per_em).finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics of an embedded face.
    pub fn of(face: FontFace) -> &'static Metrics {
        // The fonts are compiled in, so parsing can only fail if the repository's font files were
        // corrupted, which `fonts_parse_and_cover_latin_cyrillic_and_greek` would catch.
        static FACES: LazyLock<[Metrics; 3]> = LazyLock::new(|| {
            [REGULAR, BOLD, ITALIC].map(|bytes| {
                let face = ttf_parser::Face::parse(bytes, 0).expect("compiled-in Noto Sans parses");
                let tabled = (0..TABLED)
                    .map(|c| {
                        let glyph = face.glyph_index(char::from_u32(c)?)?;
                        Some((glyph, face.glyph_hor_advance(glyph).unwrap_or(0)))
                    })
                    .collect();
                Metrics { units_per_em: f32::from(face.units_per_em()), face, tabled }
            })
        });
        let index = match face {
            FontFace::Regular => 0,
            FontFace::Bold => 1,
            FontFace::Italic => 2,
        };
        &FACES[index]
    }

    /// The parsed face (for printpdf, which embeds a subset of it).
    pub fn face(&self) -> &ttf_parser::Face<'static> {
        &self.face
    }

    /// The glyph of `c` and its advance width (font units), if the face has one.
    fn glyph(&self, c: char) -> Option<(ttf_parser::GlyphId, u16)> {
        match self.tabled.get(c as usize) {
            Some(tabled) => *tabled,
            None => {
                let glyph = self.face.glyph_index(c)?;
                Some((glyph, self.face.glyph_hor_advance(glyph).unwrap_or(0)))
            }
        }
    }

    /// Whether the face has a glyph for `c` (characters without one are not printed).
    pub fn covers(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// The glyph ids of `text`'s characters in this face, skipping characters it has no glyph for: what a
    /// PDF `Tj` of this (embedded, Identity-H) font shows.
    pub fn glyph_ids<'a>(&'a self, text: &'a str) -> impl Iterator<Item = u16> + 'a {
        text.chars().filter_map(|c| self.glyph(c).map(|(g, _)| g.0))
    }

    /// How many characters of `text` the face has a glyph for (each is followed by letter spacing).
    pub fn glyph_count(&self, text: &str) -> usize {
        text.chars().filter(|c| self.glyph(*c).is_some()).count()
    }

    /// Width of `text` at `size` points with `spacing` points between letters, in millimetres.
    pub fn width_mm(&self, text: &str, size: f32, spacing: f32) -> f32 {
        let mut units = 0.0;
        let mut count = 0usize;
        for c in text.chars() {
            if let Some((_, advance)) = self.glyph(c) {
                units += f32::from(advance);
                count += 1;
            }
        }
        (units / self.units_per_em * size + spacing * count as f32) * MM_PER_PT
    }
}

/// How wide text is: the bundled face alone ([`Metrics`]), or the whole font chain
/// ([`super::typeset::Setter`]).
pub trait Measure {
    /// Width of `text` at `size` points with `spacing` points after each letter, in millimetres.
    fn width_mm(&self, text: &str, size: f32, spacing: f32) -> f32;
}

impl Measure for Metrics {
    fn width_mm(&self, text: &str, size: f32, spacing: f32) -> f32 {
        Metrics::width_mm(self, text, size, spacing)
    }
}

/// Text laid out in a box: its size and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Font size (pt).
    pub size: f32,
    /// The lines, in order.
    pub lines: Vec<String>,
}

impl Fitted {
    /// Height of the block (mm).
    pub fn height_mm(&self) -> f32 {
        self.lines.len() as f32 * self.size * LINE_HEIGHT * MM_PER_PT
    }
}

/// Breaks `text` into lines no wider than `width` mm: at spaces, and inside words (URLs, long names)
/// that are wider than a line by themselves. Explicit newlines are kept.
pub fn wrap(metrics: &dyn Measure, text: &str, size: f32, spacing: f32, width: f32) -> Vec<String> {
    let fits = |s: &str| metrics.width_mm(s, size, spacing) <= width;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if fits(&candidate) {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if fits(word) {
                line = word.to_owned();
                continue;
            }
            // A word wider than the line (a URL, a very long name): break it after a '/' where possible,
            // else between characters.
            for piece in word.split_inclusive('/') {
                let joined = format!("{line}{piece}");
                if fits(&joined) {
                    line = joined;
                    continue;
                }
                if !line.is_empty() && fits(piece) {
                    lines.push(std::mem::replace(&mut line, piece.to_owned()));
                    continue;
                }
                for c in piece.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && !fits(&next) {
                        lines.push(std::mem::take(&mut line));
                        next = c.to_string();
                    }
                    line = next;
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// The largest size from `size` down to `min_size` (then, as a last resort, down to 2 pt) at which
/// `text`, wrapped, fits a box of `width` × `height` mm.
pub fn fit(
    metrics: &dyn Measure,
    text: &str,
    size: f32,
    min_size: f32,
    spacing: f32,
    width: f32,
    height: f32,
) -> Fitted {
    fit_with(size, min_size, |s| {
        let fitted = Fitted { size: s, lines: wrap(metrics, text, s, spacing * s / size, width) };
        (fitted.height_mm() <= height).then_some(fitted)
    })
    .unwrap_or_else(|| Fitted { size: FLOOR, lines: wrap(metrics, text, FLOOR, 0.0, width) })
}

/// Tries `attempt` at sizes from `size` down in half-point steps, past `min_size` down to the floor, and
/// returns the first that fits.
pub fn fit_with<T>(size: f32, min_size: f32, mut attempt: impl FnMut(f32) -> Option<T>) -> Option<T> {
    let mut s = size;
    while s >= FLOOR {
        if let Some(done) = attempt(s) {
            return Some(done);
        }
        // Above the minimum, half points; below it (last resort), faster.
        s -= if s > min_size { 0.5 } else { 1.0 };
    }
    None
}

/// Capitals for display: Greek loses its accents in all-caps, as Greek typography requires.
pub fn uppercase(text: &str) -> String {
    text.to_uppercase()
        .chars()
        .map(|c| match c {
            'Ά' => 'Α',
            'Έ' => 'Ε',
            'Ή' => 'Η',
            'Ί' => 'Ι',
            'Ό' => 'Ο',
            'Ύ' => 'Υ',
            'Ώ' => 'Ω',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_parse_and_cover_latin_cyrillic_and_greek() {
        for face in [FontFace::Regular, FontFace::Bold, FontFace::Italic] {
            let metrics = Metrics::of(face);
            for c in "AzÀéñçİĞŁŞŽ ИванПетровЖЩЪЮЯ ΓιώργοςΠαπαδόπουλοςΪΫ €–—“”«»·".chars()
            {
                assert!(metrics.covers(c), "{face:?} lacks {c}");
            }
        }
        let m = Metrics::of(FontFace::Regular);
        assert!(m.width_mm("WWW", 10.0, 0.0) > m.width_mm("iii", 10.0, 0.0));
        assert!((m.width_mm("Иван", 20.0, 0.0) - 2.0 * m.width_mm("Иван", 10.0, 0.0)).abs() < 1e-3);
    }

    /// Every certificate embeds subsets of these faces: hinting would be almost half of each, for nothing
    /// on paper or in a PDF viewer (`scripts/dehint-fonts.py` removes it).
    #[test]
    fn the_bundled_faces_carry_no_hinting() {
        for face in [FontFace::Regular, FontFace::Bold, FontFace::Italic] {
            let raw = Metrics::of(face).face().raw_face();
            for tag in [b"fpgm", b"prep", b"cvt "] {
                assert!(raw.table(ttf_parser::Tag::from_bytes(tag)).is_none(), "{face:?} has {}", tag.escape_ascii());
            }
            // maxp version 1.0, maxSizeOfInstructions (offset 26): no glyph has instructions.
            let maxp = raw.table(ttf_parser::Tag::from_bytes(b"maxp")).unwrap();
            assert_eq!(&maxp[26..28], [0, 0], "{face:?}");
        }
    }

    #[test]
    fn the_glyph_table_answers_as_the_fonts_cmap_does() {
        for face in [FontFace::Regular, FontFace::Bold, FontFace::Italic] {
            let metrics = Metrics::of(face);
            let font = metrics.face();
            // Every tabled character, the first ones past the table, and some far beyond it.
            for c in (0..TABLED + 0x100).chain([0x1E9E, 0x20AC, 0x2113, 0x4E2D, 0x1F600]).filter_map(char::from_u32) {
                let expected = font.glyph_index(c).map(|g| (g, font.glyph_hor_advance(g).unwrap_or(0)));
                assert_eq!(metrics.glyph(c), expected, "{face:?} U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn long_text_wraps_then_shrinks_and_always_fits_its_box() {
        let m = Metrics::of(FontFace::Bold);
        let short = fit(m, "Иван Петров", 30.0, 14.0, 0.0, 221.0, 19.0);
        assert_eq!((short.size, short.lines.len()), (30.0, 1));
        let long = "Γιώργος-Αλέξανδρος Παπαδόπουλος-Κωνσταντινόπουλος de la Santísima Trinidad y Fernández de Córdoba";
        let fitted = fit(m, long, 30.0, 14.0, 0.0, 221.0, 19.0);
        assert!(fitted.size < 30.0 && fitted.size >= 14.0, "{fitted:?}");
        assert!(fitted.height_mm() <= 19.0);
        assert!(fitted.lines.iter().all(|l| m.width_mm(l, fitted.size, 0.0) <= 221.0));
        assert_eq!(fitted.lines.join(" "), long, "nothing is lost");
        let url = "https://certificates.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a";
        let lines = wrap(Metrics::of(FontFace::Regular), url, 5.5, 0.0, 60.0);
        assert!(lines.len() >= 2 && lines.concat() == url, "{lines:?}");
        assert!(lines[0].ends_with("/credentials/"), "URLs break after a slash: {lines:?}");
        let huge = "Ж".repeat(5_000);
        let last_resort = fit(m, &huge, 30.0, 14.0, 0.0, 100.0, 10.0);
        assert_eq!(last_resort.lines.concat(), huge);
    }

    #[test]
    fn greek_capitals_drop_their_accents() {
        assert_eq!(uppercase("Μικροδιαπιστευτήριο · Ευρωπαϊκή Ένωση"), "ΜΙΚΡΟΔΙΑΠΙΣΤΕΥΤΗΡΙΟ · ΕΥΡΩΠΑΪΚΗ ΕΝΩΣΗ");
        assert_eq!(uppercase("Микроквалификация"), "МИКРОКВАЛИФИКАЦИЯ");
    }
}
