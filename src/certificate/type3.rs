//! Shaped clusters as PDF Type 3 fonts. Each code of such a font draws one whole cluster (a letter and its
//! marks, a ligature, a reordered syllable) from the outlines of whichever font shaped it, TrueType or CFF,
//! single file or collection; and its `ToUnicode` entry gives back exactly that cluster's characters. So
//! text extracted from the PDF is the text that was set, in every script, and only the glyphs used are
//! embedded (a subset by construction). Codes are given in order of first use: the output is
//! deterministic.
//!
//! See: PDF 32000-1 §9.6.5 (Type 3 fonts) and §9.10.3 (ToUnicode CMaps),
//! <https://opensource.adobe.com/dc-acrobat-sdk-docs/pdfstandards/PDF32000_2008.pdf>

use std::collections::HashMap;
use std::fmt::Write as _;

use lopdf::{Dictionary, Object, Stream, StringFormat};
use rustybuzz::ttf_parser::{self, GlyphId, OutlineBuilder};

use super::typeset::Cluster;

/// Glyph space: 1000 units per em, as in most fonts.
const UNITS: f32 = 1000.0;

/// The resource name of Type 3 font `n` in the page's `/Font` dictionary.
pub fn resource_name(n: usize) -> String {
    format!("MCT3F{n}")
}

#[derive(Debug)]
struct Glyph {
    procedure: Vec<u8>,
    width: f32,
    bbox: [f32; 4],
    text: String,
}

/// The clusters drawn so far, as codes of Type 3 fonts (256 codes each).
#[derive(Debug, Default)]
pub struct Type3Fonts {
    glyphs: Vec<Glyph>,
    codes: HashMap<String, usize>,
}

impl Type3Fonts {
    /// Whether nothing was drawn.
    pub fn is_empty(&self) -> bool {
        self.glyphs.is_empty()
    }

    /// The font (its number) and code that draw `cluster`, added on first use.
    pub fn code_for(&mut self, cluster: &Cluster) -> (usize, u8) {
        let mut key =
            format!("{:p}/{}/{}|", cluster.program.bytes.as_slice().as_ptr(), cluster.program.index, cluster.text);
        for g in &cluster.glyphs {
            let _ = write!(key, "{} {} {};", g.id, g.x, g.y);
        }
        let n = match self.codes.get(&key) {
            Some(&n) => n,
            None => {
                let n = self.glyphs.len();
                self.glyphs.push(draw(cluster));
                self.codes.insert(key, n);
                n
            }
        };
        (n / 256, (n % 256) as u8)
    }

    /// Adds the fonts' objects to `doc` and names them in `fonts` (a page's `/Font` resources).
    pub fn add_to(&self, doc: &mut lopdf::Document, fonts: &mut Dictionary) {
        for (n, glyphs) in self.glyphs.chunks(256).enumerate() {
            let mut procs = Dictionary::new();
            let mut differences = vec![Object::Integer(0)];
            let mut widths = Vec::new();
            let mut bbox = [0f32; 4];
            for (code, glyph) in glyphs.iter().enumerate() {
                let name = format!("g{code}");
                let id = doc.add_object(Stream::new(Dictionary::new(), glyph.procedure.clone()));
                procs.set(name.as_bytes().to_vec(), Object::Reference(id));
                differences.push(Object::Name(name.into_bytes()));
                widths.push(Object::Real(glyph.width));
                bbox = [
                    bbox[0].min(glyph.bbox[0]),
                    bbox[1].min(glyph.bbox[1]),
                    bbox[2].max(glyph.bbox[2]),
                    bbox[3].max(glyph.bbox[3]),
                ];
            }
            let to_unicode = doc.add_object(Stream::new(Dictionary::new(), to_unicode(glyphs).into_bytes()));
            let mut encoding = Dictionary::new();
            encoding.set("Type", Object::Name(b"Encoding".to_vec()));
            encoding.set("Differences", Object::Array(differences));
            let scale = 1.0 / UNITS;
            let mut font = Dictionary::new();
            font.set("Type", Object::Name(b"Font".to_vec()));
            font.set("Subtype", Object::Name(b"Type3".to_vec()));
            font.set("FontBBox", Object::Array(bbox.iter().map(|v| Object::Real(v.round())).collect()));
            font.set(
                "FontMatrix",
                Object::Array(vec![
                    Object::Real(scale),
                    Object::Integer(0),
                    Object::Integer(0),
                    Object::Real(scale),
                    Object::Integer(0),
                    Object::Integer(0),
                ]),
            );
            font.set("CharProcs", Object::Dictionary(procs));
            font.set("Encoding", Object::Dictionary(encoding));
            font.set("FirstChar", Object::Integer(0));
            font.set("LastChar", Object::Integer(glyphs.len() as i64 - 1));
            font.set("Widths", Object::Array(widths));
            font.set("Resources", Object::Dictionary(Dictionary::new()));
            font.set("ToUnicode", Object::Reference(to_unicode));
            let id = doc.add_object(font);
            fonts.set(resource_name(n).into_bytes(), Object::Reference(id));
        }
    }
}

/// A text-showing operand: one byte per code.
pub fn shown(code: u8) -> Object {
    Object::String(vec![code], StringFormat::Hexadecimal)
}

/// The ToUnicode CMap of one Type 3 font: each code to its cluster's characters (UTF-16BE).
fn to_unicode(glyphs: &[Glyph]) -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<00> <FF>\nendcodespacerange\n",
    );
    for (block, chunk) in glyphs.chunks(100).enumerate() {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for (i, glyph) in chunk.iter().enumerate() {
            let utf16: String = glyph.text.encode_utf16().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(cmap, "<{:02X}> <{utf16}>", block * 100 + i);
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}

/// The glyph procedure of a cluster: its outlines, filled with the current colour (`d1`).
fn draw(cluster: &Cluster) -> Glyph {
    let face = ttf_parser::Face::parse(cluster.program.bytes.as_slice(), cluster.program.index).ok();
    let mut pen = Pen::default();
    if let Some(face) = &face {
        let scale = UNITS / f32::from(face.units_per_em());
        for glyph in &cluster.glyphs {
            pen.origin = (glyph.x * UNITS, glyph.y * UNITS);
            pen.scale = scale;
            let _ = face.outline_glyph(GlyphId(glyph.id), &mut pen);
        }
    }
    let width = cluster.advance * UNITS;
    let bbox = if pen.path.is_empty() { [0.0; 4] } else { pen.bbox };
    let mut procedure =
        format!("{} 0 {} {} {} {} d1\n", num(width), num(bbox[0]), num(bbox[1]), num(bbox[2]), num(bbox[3]));
    if !pen.path.is_empty() {
        procedure.push_str(&pen.path);
        procedure.push_str("f\n");
    }
    Glyph { procedure: procedure.into_bytes(), width: (width * 10.0).round() / 10.0, bbox, text: cluster.text.clone() }
}

/// A number for a content stream: at most one decimal, no `-0`.
fn num(v: f32) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Writes outlines as PDF path operators (quadratic curves as cubic ones), tracking the bounding box.
#[derive(Default)]
struct Pen {
    path: String,
    origin: (f32, f32),
    scale: f32,
    current: (f32, f32),
    bbox: [f32; 4],
    started: bool,
}

impl Pen {
    fn point(&mut self, x: f32, y: f32) -> (f32, f32) {
        let p = (self.origin.0 + x * self.scale, self.origin.1 + y * self.scale);
        if self.started {
            self.bbox = [self.bbox[0].min(p.0), self.bbox[1].min(p.1), self.bbox[2].max(p.0), self.bbox[3].max(p.1)];
        } else {
            self.bbox = [p.0, p.1, p.0, p.1];
            self.started = true;
        }
        p
    }
}

impl OutlineBuilder for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = self.point(x, y);
        let _ = writeln!(self.path, "{} {} m", num(p.0), num(p.1));
        self.current = p;
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.point(x, y);
        let _ = writeln!(self.path, "{} {} l", num(p.0), num(p.1));
        self.current = p;
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (c, p) = (self.point(x1, y1), self.point(x, y));
        let p0 = self.current;
        let c1 = (p0.0 + 2.0 / 3.0 * (c.0 - p0.0), p0.1 + 2.0 / 3.0 * (c.1 - p0.1));
        let c2 = (p.0 + 2.0 / 3.0 * (c.0 - p.0), p.1 + 2.0 / 3.0 * (c.1 - p.1));
        let _ =
            writeln!(self.path, "{} {} {} {} {} {} c", num(c1.0), num(c1.1), num(c2.0), num(c2.1), num(p.0), num(p.1));
        self.current = p;
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (c1, c2, p) = (self.point(x1, y1), self.point(x2, y2), self.point(x, y));
        let _ =
            writeln!(self.path, "{} {} {} {} {} {} c", num(c1.0), num(c1.1), num(c2.0), num(c2.1), num(p.0), num(p.1));
        self.current = p;
    }

    fn close(&mut self) {
        self.path.push_str("h\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::fonts::FontChain;
    use crate::certificate::template::FontFace;
    use crate::certificate::typeset::{PieceKind, set_line};

    #[test]
    fn each_cluster_gets_one_code_and_maps_back_to_its_characters() {
        let chain = FontChain::bundled();
        // Right to left: the bundled face is shaped (and its parentheses mirrored) as clusters.
        let line = set_line(&chain, FontFace::Regular, "\u{202E}(ab)");
        let mut fonts = Type3Fonts::default();
        let clusters: Vec<_> = line
            .pieces
            .iter()
            .filter_map(|p| match &p.kind {
                PieceKind::Cluster(c) => Some(c.clone()),
                PieceKind::Plain(_) => None,
            })
            .collect();
        assert!(clusters.len() >= 4, "{clusters:?}");
        let codes: Vec<(usize, u8)> = clusters.iter().map(|c| fonts.code_for(c)).collect();
        assert_eq!(codes, clusters.iter().map(|c| fonts.code_for(c)).collect::<Vec<_>>(), "codes are reused");
        let cmap = to_unicode(&fonts.glyphs);
        assert!(cmap.contains("<0028>") && cmap.contains("<0061>"), "{cmap}");
        assert!(fonts.glyphs.iter().all(|g| g.procedure.starts_with(b"") && g.width > 0.0));
        assert!(String::from_utf8_lossy(&fonts.glyphs[1].procedure).contains(" c\n"), "outlines are drawn");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.25), "12.3");
    }
}
