//! Lines of text in any script: split by the Unicode bidi algorithm into runs of one direction, each run
//! split by the font chain into runs of one font, and shaped by rustybuzz (Arabic joining, Indic and Thai
//! reordering, mark positioning). Pure: text and fonts in, positioned pieces out.
//!
//! Text the bundled Noto Sans prints left to right stays as it always was: characters in printpdf's
//! text, one glyph each (so certificates in Latin, Greek and Cyrillic do not change). Everything else
//! becomes shaped clusters, each kept with its characters in logical order, so that the PDF's text maps
//! back to exactly what was set.
//!
//! See: <https://www.unicode.org/reports/tr9/>, <https://harfbuzz.github.io/clusters.html>

use std::ops::Range;

use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{BidiClass, BidiInfo, bidi_class};

use super::fonts::{FontChain, FontProgram, Source};
use super::layout::{MM_PER_PT, Measure, Metrics};
use super::template::FontFace;

/// One glyph of a cluster, offset from the cluster's origin in ems.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedGlyph {
    /// Glyph id in the font program.
    pub id: u16,
    /// Horizontal offset (em).
    pub x: f32,
    /// Vertical offset (em).
    pub y: f32,
}

/// A shaped cluster: the glyphs that print a run of characters together (a letter and its marks, a
/// ligature, a reordered syllable).
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The characters, in logical order.
    pub text: String,
    /// Its glyphs, in the order drawn.
    pub glyphs: Vec<PlacedGlyph>,
    /// How far it advances the pen (em).
    pub advance: f32,
    /// The font it is drawn with.
    pub program: FontProgram,
}

/// What a piece of a line is.
#[derive(Debug, Clone)]
pub enum PieceKind {
    /// Left-to-right text in the bundled face: printed as characters, one glyph each.
    Plain(String),
    /// A shaped cluster.
    Cluster(Cluster),
}

/// A piece of a set line, at its visual position.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Where its text starts in the line (bytes): the order in which pieces are written to the PDF.
    pub logical: usize,
    /// Distance from the line's left edge (em), letter spacing aside.
    pub x: f32,
    /// Plain glyphs to its left (each followed by letter spacing).
    pub spaced_before: usize,
    /// What is drawn here: a run of glyphs of one face, or a shaped cluster.
    pub kind: PieceKind,
}

/// A line set in visual order.
#[derive(Debug, Clone, Default)]
pub struct SetLine {
    /// The pieces, left to right.
    pub pieces: Vec<Piece>,
    /// Total advance (em), letter spacing aside.
    pub advance: f32,
    /// Plain glyphs in the line (each followed by letter spacing).
    pub spaced: usize,
}

impl SetLine {
    /// Width at `size` pt with `spacing` pt after each plain glyph, in millimetres.
    pub fn width_mm(&self, size: f32, spacing: f32) -> f32 {
        (self.advance * size + spacing * self.spaced as f32) * MM_PER_PT
    }
}

/// Whether `text` prints as it always has: every character in the bundled face, none right-to-left.
pub fn is_plain(text: &str) -> bool {
    let metrics = Metrics::of(FontFace::Regular);
    // Below U+0590 (Latin, Greek, Cyrillic, Armenian) no character is right-to-left or a directional
    // control, so the table search is skipped for them (`no_rtl_below_hebrew` checks it).
    text.chars().all(|c| (c < RTL_START || !is_directional(c)) && (metrics.covers(c) || c == ' '))
}

/// The first code point (Hebrew) whose bidi class can be right-to-left.
const RTL_START: char = '\u{0590}';

/// Right-to-left, or a directional embedding, override or isolate.
fn is_directional(c: char) -> bool {
    matches!(
        bidi_class(c),
        BidiClass::R
            | BidiClass::AL
            | BidiClass::AN
            | BidiClass::RLE
            | BidiClass::RLO
            | BidiClass::RLI
            | BidiClass::FSI
            | BidiClass::LRE
            | BidiClass::LRO
            | BidiClass::LRI
    )
}

/// Measures text in a face of the chain (see [`Measure`]).
#[derive(Debug, Clone, Copy)]
pub struct Setter<'a> {
    /// The fonts tried in order for each character.
    pub chain: &'a FontChain,
    /// The face asked for.
    pub face: FontFace,
}

impl Measure for Setter<'_> {
    fn width_mm(&self, text: &str, size: f32, spacing: f32) -> f32 {
        if is_plain(text) {
            Metrics::of(self.face).width_mm(text, size, spacing)
        } else {
            set_line(self.chain, self.face, text).width_mm(size, spacing)
        }
    }
}

/// Sets one line (no line breaks inside): bidi runs in visual order, font runs within them, shaped.
/// Characters no font covers are left out.
pub fn set_line(chain: &FontChain, face: FontFace, text: &str) -> SetLine {
    let metrics = Metrics::of(face);
    let bidi = BidiInfo::new(text, None);
    let mut line = SetLine::default();
    for paragraph in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(paragraph, paragraph.range.clone());
        for run in runs {
            let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
            let mut items = itemize(chain, text, run);
            if rtl {
                items.reverse();
            }
            for (range, source) in items {
                let piece = &text[range.clone()];
                if source == Source::Bundled && !rtl {
                    let em = metrics.width_mm(piece, 1.0, 0.0) / MM_PER_PT;
                    line.pieces.push(Piece {
                        logical: range.start,
                        x: line.advance,
                        spaced_before: line.spaced,
                        kind: PieceKind::Plain(piece.to_owned()),
                    });
                    line.advance += em;
                    line.spaced += metrics.glyph_count(piece);
                    continue;
                }
                for (offset, cluster) in shape(chain, source, face, piece, rtl) {
                    let parts = if rtl { split_rtl(cluster) } else { vec![(0, cluster)] };
                    for (within, part) in parts {
                        let advance = part.advance;
                        line.pieces.push(Piece {
                            logical: range.start + offset + within,
                            x: line.advance,
                            spaced_before: line.spaced,
                            kind: PieceKind::Cluster(part),
                        });
                        line.advance += advance;
                    }
                }
            }
        }
    }
    line
}

/// A right-to-left cluster of several characters (a ligature, a letter with its marks) as one part per
/// character, left to right, each a equal share of the advance: the first character's part, rightmost,
/// draws the whole cluster. Text extraction (poppler's, for one) places the characters of one code left to
/// right, which would reverse them in right-to-left text; parts placed right to left read in logical order.
fn split_rtl(cluster: Cluster) -> Vec<(usize, Cluster)> {
    let chars: Vec<(usize, char)> = cluster.text.char_indices().collect();
    let n = chars.len();
    if n < 2 {
        return vec![(0, cluster)];
    }
    let share = cluster.advance / n as f32;
    let shift = share * (n - 1) as f32;
    chars
        .iter()
        .enumerate()
        .rev()
        .map(|(i, &(at, c))| {
            let glyphs = if i == 0 {
                cluster.glyphs.iter().map(|g| PlacedGlyph { x: g.x - shift, ..g.clone() }).collect()
            } else {
                Vec::new()
            };
            (at, Cluster { text: c.to_string(), glyphs, advance: share, program: cluster.program.clone() })
        })
        .collect()
}

/// Splits `text[run]` into runs of one font, in logical order. Letters and digits take the first font
/// that has them; other characters (spaces, punctuation, marks, joiners) stay in the current font when it
/// has them, so that a word is shaped in one piece.
fn itemize(chain: &FontChain, text: &str, run: Range<usize>) -> Vec<(Range<usize>, Source)> {
    let mut items: Vec<(Range<usize>, Source)> = Vec::new();
    for (i, c) in text[run.clone()].char_indices() {
        let at = run.start + i;
        let end = at + c.len_utf8();
        let current = items.last().map(|(_, s)| *s);
        let source = match current {
            Some(s) if !c.is_alphanumeric() && (chain.covers(s, c) || super::fonts::is_default_ignorable(c)) => Some(s),
            _ => chain.source_for(c),
        };
        match (items.last_mut(), source) {
            (Some((range, s)), Some(source)) if *s == source => range.end = end,
            (_, Some(source)) => items.push((at..end, source)),
            // Not printable: left out, and it ends the current run.
            (_, None) => {}
        }
        if source.is_none() && items.last().is_some_and(|(r, _)| r.end == at) {
            // Keep runs contiguous in the text: a later character starts a new run.
            items.push((end..end, Source::Bundled));
        }
    }
    items.retain(|(range, _)| !range.is_empty());
    items
}

/// Shapes `text` in `source`'s `face` (its regular face if the styled one lacks a glyph): clusters in
/// visual order, each with its byte offset in `text`.
fn shape(chain: &FontChain, source: Source, face: FontFace, text: &str, rtl: bool) -> Vec<(usize, Cluster)> {
    let styled = chain.program(source, face);
    let attempt = styled.as_ref().and_then(|program| shape_with(program, text, rtl));
    match attempt {
        Some((clusters, false)) => clusters,
        other => chain
            .regular_program(source)
            .and_then(|program| shape_with(&program, text, rtl))
            .map(|(clusters, _)| clusters)
            .or_else(|| other.map(|(clusters, _)| clusters))
            .unwrap_or_default(),
    }
}

/// The clusters, and whether any glyph is missing (`.notdef`).
fn shape_with(program: &FontProgram, text: &str, rtl: bool) -> Option<(Vec<(usize, Cluster)>, bool)> {
    let face = rustybuzz::Face::from_slice(program.bytes.as_slice(), program.index)?;
    let em = face.units_per_em() as f32;
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(if rtl { Direction::RightToLeft } else { Direction::LeftToRight });
    buffer.guess_segment_properties();
    let shaped = rustybuzz::shape(&face, &[], buffer);
    let mut starts: Vec<usize> = shaped.glyph_infos().iter().map(|g| g.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let end_of = |start: usize| starts.iter().find(|&&s| s > start).copied().unwrap_or(text.len());
    let mut missing = false;
    let mut clusters: Vec<(usize, Cluster)> = Vec::new();
    for (info, position) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
        let start = info.cluster as usize;
        missing |= info.glyph_id == 0;
        if clusters.last().is_none_or(|(s, _)| *s != start) {
            let Some(chars) = text.get(start..end_of(start)) else { continue };
            clusters.push((
                start,
                Cluster { text: chars.to_owned(), glyphs: Vec::new(), advance: 0.0, program: program.clone() },
            ));
        }
        let Some((_, cluster)) = clusters.last_mut() else { continue };
        cluster.glyphs.push(PlacedGlyph {
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            x: cluster.advance + position.x_offset as f32 / em,
            y: position.y_offset as f32 / em,
        });
        cluster.advance += position.x_advance as f32 / em;
    }
    Some((clusters, missing))
}

#[cfg(test)]
mod tests {

    #[test]
    fn no_rtl_below_hebrew() {
        let directional: Vec<u32> = ('\0'..RTL_START).filter(|c| is_directional(*c)).map(u32::from).collect();
        assert!(
            directional.is_empty(),
            "directional below U+0590 (is_plain's fast path would be wrong): {directional:X?}"
        );
        assert!(is_directional('\u{05D0}') && is_directional('\u{202E}'));
    }

    use super::*;

    fn texts(line: &SetLine) -> Vec<String> {
        let mut pieces: Vec<&Piece> = line.pieces.iter().collect();
        pieces.sort_by_key(|p| p.logical);
        pieces
            .iter()
            .map(|p| match &p.kind {
                PieceKind::Plain(t) => t.clone(),
                PieceKind::Cluster(c) => c.text.clone(),
            })
            .collect()
    }

    #[test]
    fn plain_text_is_one_piece_as_before() {
        let chain = FontChain::bundled();
        let line = set_line(&chain, FontFace::Bold, "Иван Петров");
        assert_eq!(line.pieces.len(), 1);
        let m = Metrics::of(FontFace::Bold);
        assert!((line.width_mm(30.0, 1.0) - m.width_mm("Иван Петров", 30.0, 1.0)).abs() < 1e-3);
        assert!(is_plain("Zoë Ødegård") && !is_plain("ليلى") && !is_plain("李伟"));
    }

    #[test]
    fn uncovered_characters_are_left_out_and_the_rest_kept_in_logical_order() {
        let chain = FontChain::bundled();
        let line = set_line(&chain, FontFace::Regular, "Ana \u{E000} Lima");
        assert_eq!(texts(&line).concat(), "Ana  Lima");
    }
}
