//! The PDF certificate: drawn with printpdf from a template, then finished with lopdf. Finishing embeds
//! the signed credential as an associated file and writes deterministic metadata, so the same credential
//! always gives the same bytes.
//!
//! Everything is vector: text in embedded, subset Noto Sans (with ToUnicode maps, so it can be copied and
//! searched), shapes, and the QR code as rectangles. Text in scripts Noto Sans lacks, and right-to-left
//! text, is shaped ([`super::typeset`]) and drawn with Type 3 fonts made from the fallback fonts' outlines
//! ([`super::type3`]), written in logical order so that it reads back as set.

use std::cell::RefCell;

use lopdf::Object;
use lopdf::content::Operation;
use printpdf::path::{PaintMode, WindingOrder};
use printpdf::{
    Color, CurTransMat, FontData, FontMetrics, GlyphMetrics, IndirectFontRef, Line, Mm, PdfDocument, PdfLayerReference,
    Point, Polygon, Rect, Rgb,
};
use qrcode::EcLevel;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::facts::Facts;
use super::fonts::FontChain;
use super::i18n::Labels;
use super::layout::{self, CAP_HEIGHT, LINE_HEIGHT, MM_PER_PT, Measure, fit, fit_with, wrap};
use super::template::{Align, Element, FontFace, Template, TextBlock, Valign};
use super::type3::{self, Type3Fonts};
use super::typeset::{self, PieceKind, Setter};

mod finish;

use finish::{Metadata, finish, rewrite};

/// The name of the embedded credential file.
pub const ATTACHMENT_NAME: &str = "credential.json";
/// Its MIME type.
pub const ATTACHMENT_MIME: &str = "application/vc+ld+json";

/// Paper the design is printed on (landscape).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// ISO A4, 297 × 210 mm.
    #[default]
    A4,
    /// US Letter, 279.4 × 215.9 mm.
    Letter,
}

impl Paper {
    /// Width and height in millimetres, landscape.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Self::A4 => (297.0, 210.0),
            Self::Letter => (279.4, 215.9),
        }
    }
}

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// printpdf refused (a font it could not embed).
    #[error("could not draw the certificate: {0}")]
    Draw(String),
    /// lopdf could not finish the document.
    #[error("could not finish the certificate: {0}")]
    Finish(#[from] lopdf::Error),
}

/// Renders the certificate of `credential` (the signed JSON, embedded as is) with `facts` taken from it,
/// in the bundled and the system's fonts ([`FontChain::system`]).
pub fn render(
    facts: &Facts,
    credential: &[u8],
    template: &Template,
    labels: &Labels,
    paper: Paper,
) -> Result<Vec<u8>, PdfError> {
    render_with(facts, credential, template, labels, paper, FontChain::system(), None)
}

/// [`render`] with the fonts of `chain`. Characters no font of the chain has are left out (awards refuse
/// them: [`FontChain::unprintable`]).
///
/// # Errors
/// [`PdfError::Draw`] when printpdf cannot embed a font; [`PdfError::Finish`] when lopdf cannot finish.
pub fn render_with(
    facts: &Facts,
    credential: &[u8],
    template: &Template,
    labels: &Labels,
    paper: Paper,
    chain: &FontChain,
    logo: Option<&[u8]>,
) -> Result<Vec<u8>, PdfError> {
    let logo = logo.and_then(Logo::decode);
    let (page_w, page_h) = paper.size_mm();
    let title = format!("{} — {}", facts.achievement, facts.learner);
    let created = facts.valid_from.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let digest = Sha256::digest(credential);
    let document_id: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let (doc, page, layer) = PdfDocument::new(title.as_str(), Mm(page_w), Mm(page_h), "certificate");
    let doc = doc
        .with_document_id(document_id.clone())
        .with_creation_date(created)
        .with_mod_date(created)
        .with_metadata_date(created)
        .with_producer("microcred")
        .with_creator("microcred");
    // printpdf needs the font file (to subset it) and its parsed face: the file is copied, the face is the
    // one parsed at start-up. (`add_external_font` copied each 0.5 MB file three times and parsed it again: 15 %
    // of a certificate's CPU time over HTTP.) Subsetting is on, as with `add_external_font_with_subsetting`.
    let font = |face: FontFace| {
        let metrics = layout::Metrics::of(face);
        doc.add_external_font_data(metrics.face().raw_face().data.to_vec(), SharedFace(metrics))
            .map_err(|e| PdfError::Draw(e.to_string()))
    };
    let fonts =
        Fonts { regular: font(FontFace::Regular)?, bold: font(FontFace::Bold)?, italic: font(FontFace::Italic)? };
    let type3 = {
        let layer = doc.get_page(page).get_layer(layer);
        // The design space is scaled uniformly onto the paper and centred.
        let scale = (page_w / template.width_mm).min(page_h / template.height_mm);
        let dx = (page_w - template.width_mm * scale) / 2.0;
        let dy = (page_h - template.height_mm * scale) / 2.0;
        if (scale - 1.0).abs() > f32::EPSILON || dx != 0.0 || dy != 0.0 {
            layer.set_ctm(CurTransMat::Raw([scale, 0.0, 0.0, scale, dx / MM_PER_PT, dy / MM_PER_PT]));
        }
        let canvas = Canvas {
            layer,
            fonts: &fonts,
            chain,
            type3: RefCell::default(),
            template,
            height: template.height_mm,
            logo: logo.as_ref(),
        };
        for element in &template.elements {
            canvas.draw(element, facts, labels);
        }
        canvas.type3.into_inner()
    };
    let drawn = doc.save_to_bytes().map_err(|e| PdfError::Draw(e.to_string()))?;
    let meta = Metadata { title: &title, author: &facts.issuer, subject: &facts.achievement, created };
    if !type3.is_empty() {
        // The Type 3 fonts are new objects in the page's font resources: the general path adds them.
        return finish(&drawn, credential, &meta, &digest, Some(&type3));
    }
    // Rewriting printpdf's output directly avoids re-parsing the whole file (the slowest step by far); if
    // printpdf's output ever stops looking as expected, the general lopdf path does the same job.
    match rewrite(&drawn, credential, &meta, &digest) {
        Some(pdf) => Ok(pdf),
        None => finish(&drawn, credential, &meta, &digest, None),
    }
}

/// A bundled face as printpdf's [`FontData`]: the same answers as printpdf's own (owned_ttf_parser) face,
/// from the face [`layout::Metrics`] parsed once.
#[derive(Debug, Clone, Copy)]
struct SharedFace(&'static layout::Metrics);

impl FontData for SharedFace {
    fn font_metrics(&self) -> FontMetrics {
        let face = self.0.face();
        FontMetrics { ascent: face.ascender(), descent: face.descender(), units_per_em: face.units_per_em() }
    }

    fn glyph_id(&self, c: char) -> Option<u16> {
        self.0.face().glyph_index(c).map(|id| id.0)
    }

    fn glyph_ids(&self) -> std::collections::HashMap<u16, char> {
        let face = self.0.face();
        let mut map = std::collections::HashMap::with_capacity(face.number_of_glyphs().into());
        let Some(cmap) = face.tables().cmap else { return map };
        for subtable in cmap.subtables.into_iter().filter(|t| t.is_unicode()) {
            subtable.codepoints(|c| {
                if let Ok(ch) = char::try_from(c)
                    && let Some(id) = subtable.glyph_index(c).filter(|id| id.0 > 0)
                {
                    map.entry(id.0).or_insert(ch);
                }
            });
        }
        map
    }

    fn glyph_count(&self) -> u16 {
        self.0.face().number_of_glyphs()
    }

    fn glyph_metrics(&self, glyph_id: u16) -> Option<GlyphMetrics> {
        let face = self.0.face();
        let glyph = ttf_parser::GlyphId(glyph_id);
        let width = u32::from(face.glyph_hor_advance(glyph)?);
        let height = face.glyph_bounding_box(glyph).map_or(1000, |b| b.y_max - b.y_min - face.descender()) as u32;
        Some(GlyphMetrics { width, height })
    }
}

struct Fonts {
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    italic: IndirectFontRef,
}

impl Fonts {
    fn get(&self, face: FontFace) -> &IndirectFontRef {
        match face {
            FontFace::Regular => &self.regular,
            FontFace::Bold => &self.bold,
            FontFace::Italic => &self.italic,
        }
    }
}

/// Draws in the template's design space (millimetres from the top left).
struct Canvas<'a> {
    layer: PdfLayerReference,
    fonts: &'a Fonts,
    chain: &'a FontChain,
    /// The clusters drawn with Type 3 fonts.
    type3: RefCell<Type3Fonts>,
    template: &'a Template,
    height: f32,
    /// The issuer's logo, decoded.
    logo: Option<&'a Logo>,
}

/// A logo ready to draw: RGBA pixels, at most [`Logo::MAX_SIDE`] on its longer side.
struct Logo {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Logo {
    /// A logo box on a certificate is a few centimetres wide: 400 pixels is over 600 dpi there, and keeps the
    /// PDF small whatever was uploaded.
    const MAX_SIDE: u32 = 400;

    /// Decodes a PNG and shrinks it (box filter) to at most [`Logo::MAX_SIDE`], or draws an SVG at that size;
    /// `None` if it cannot be read.
    fn decode(image: &[u8]) -> Option<Self> {
        if !image.starts_with(b"\x89PNG") {
            return Self::from_svg(image);
        }
        let (width, height, rgba) = super::badge::rgba(image).ok()?;
        let factor = width.max(height).div_ceil(Self::MAX_SIDE).max(1);
        if factor == 1 {
            return Some(Self { width, height, rgba });
        }
        let (w, h) = (width / factor, height / factor);
        let mut out = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                let mut sum = [0u32; 4];
                for dy in 0..factor {
                    for dx in 0..factor {
                        let at = (((y * factor + dy) * width + x * factor + dx) * 4) as usize;
                        for (c, total) in sum.iter_mut().enumerate() {
                            *total += u32::from(rgba[at + c]);
                        }
                    }
                }
                out.extend(sum.map(|v| (v / (factor * factor)) as u8));
            }
        }
        Some(Self { width: w, height: h, rgba: out })
    }

    /// An SVG logo (checked when it was uploaded: nothing in it refers outside the file) drawn by resvg at
    /// [`Logo::MAX_SIDE`] pixels on its longer side, its text in the bundled Noto Sans.
    fn from_svg(svg: &[u8]) -> Option<Self> {
        use resvg::{tiny_skia, usvg};
        static FONTS: std::sync::LazyLock<std::sync::Arc<usvg::fontdb::Database>> = std::sync::LazyLock::new(|| {
            let mut fonts = usvg::fontdb::Database::new();
            for face in [layout::REGULAR, layout::BOLD, layout::ITALIC] {
                fonts.load_font_data(face.to_vec());
            }
            fonts.set_sans_serif_family("Noto Sans");
            std::sync::Arc::new(fonts)
        });
        let options = usvg::Options { fontdb: std::sync::Arc::clone(&FONTS), ..usvg::Options::default() };
        let tree = usvg::Tree::from_data(svg, &options).ok()?;
        let size = tree.size();
        let scale = Self::MAX_SIDE as f32 / size.width().max(size.height());
        let width = (size.width() * scale).round().max(1.0) as u32;
        let height = (size.height() * scale).round().max(1.0) as u32;
        let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
        resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
        let rgba = pixmap
            .pixels()
            .iter()
            .flat_map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect();
        Some(Self { width, height, rgba })
    }

    /// The pixels as RGB over `background` (PDF images have no alpha without a soft mask).
    fn rgb_over(&self, background: [f32; 3]) -> Vec<u8> {
        self.rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let alpha = f32::from(p[3]) / 255.0;
                [0, 1, 2].map(|i| (f32::from(p[i]) * alpha + background[i] * 255.0 * (1.0 - alpha)).round() as u8)
            })
            .collect()
    }
}

fn point(x: f32, y: f32) -> (Point, bool) {
    (Point::new(Mm(x), Mm(y)), false)
}

impl Canvas<'_> {
    fn color(&self, name: &str) -> Color {
        let [r, g, b] = self.template.color(name).unwrap_or([0.0; 3]);
        Color::Rgb(Rgb::new(r, g, b, None))
    }

    /// A rectangle given by its top-left corner in design space.
    fn rect(&self, x: f32, y: f32, w: f32, h: f32, mode: PaintMode) {
        let bottom = self.height - y - h;
        self.layer.add_rect(Rect::new(Mm(x), Mm(bottom), Mm(x + w), Mm(bottom + h)).with_mode(mode));
    }

    fn draw(&self, element: &Element, facts: &Facts, labels: &Labels) {
        match element {
            Element::Rect { x, y, w, h, fill, stroke, stroke_width } => {
                if let Some(fill) = fill {
                    self.layer.set_fill_color(self.color(fill));
                    self.rect(*x, *y, *w, *h, PaintMode::Fill);
                }
                if let Some(stroke) = stroke {
                    self.layer.set_outline_color(self.color(stroke));
                    self.layer.set_outline_thickness(stroke_width.unwrap_or(1.0));
                    self.rect(*x, *y, *w, *h, PaintMode::Stroke);
                }
            }
            Element::Line { x1, y1, x2, y2, color, width } => {
                self.layer.set_outline_color(self.color(color));
                self.layer.set_outline_thickness(*width);
                self.layer.add_line(Line {
                    points: vec![point(*x1, self.height - y1), point(*x2, self.height - y2)],
                    is_closed: false,
                });
            }
            Element::Seal { x, y, r, fill, mark } => self.seal(*x, *y, *r, fill, mark),
            Element::Logo { x, y, w, h, fill, mark, background } => match self.logo {
                // Inset a little, so a logo sits no taller than the seal it replaces and clears the text
                // beside the box.
                Some(logo) => {
                    self.logo(logo, [*x, y + h * 0.1, w - 1.5, h * 0.8], background.as_deref().unwrap_or("paper"))
                }
                None => {
                    let r = h / 3.0;
                    self.seal(x + w - h / 2.0, y + h / 2.0, r, fill, mark);
                }
            },
            Element::Text(block) => {
                let text = facts.fill(&block.text, labels);
                self.text_block(block, &text);
            }
            Element::Facts { x, y, w, h, label_w, size, min_size, label_color, color, rows } => {
                let rows: Vec<(String, String)> =
                    rows.iter().filter_map(|key| Some((labels.get(key).to_owned(), facts.row(key, labels)?))).collect();
                self.facts(&rows, [*x, *y, *w, *h, *label_w], *size, min_size.unwrap_or(*size), label_color, color);
            }
            Element::Outcomes { x, y, w, h, size, min_size, color } => {
                self.outcomes(&facts.learning_outcomes, [*x, *y, *w, *h], *size, min_size.unwrap_or(*size), color);
            }
            Element::Qr { x, y, size, color } => {
                if let Some(url) = &facts.url {
                    self.qr(url, *x, *y, *size, color);
                }
            }
        }
    }

    /// How wide text is in `face`, with every font of the chain.
    fn setter(&self, face: FontFace) -> Setter<'_> {
        Setter { chain: self.chain, face }
    }

    /// One line of text with its baseline at `baseline` (design space).
    fn line(&self, text: &str, face: FontFace, size: f32, spacing: f32, x: f32, baseline: f32) {
        if !typeset::is_plain(text) {
            return self.set_line(text, face, size, spacing, x, baseline);
        }
        self.layer.begin_text_section();
        self.layer.set_font(self.fonts.get(face), size);
        self.layer.set_character_spacing(spacing);
        self.layer.set_text_cursor(Mm(x), Mm(self.height - baseline));
        // The glyph ids, as printpdf's `write_text` would write them, without its copy of the whole font file
        // on every call (most of a certificate's rendering time).
        self.layer.write_codepoints(layout::Metrics::of(face).glyph_ids(text));
        self.layer.end_text_section();
    }

    /// A line in other scripts or directions: its pieces drawn at their visual places, but written in
    /// logical order, so that text extraction gives the characters in the order they were set.
    fn set_line(&self, text: &str, face: FontFace, size: f32, spacing: f32, x: f32, baseline: f32) {
        let set = typeset::set_line(self.chain, face, text);
        let mut pieces: Vec<&typeset::Piece> = set.pieces.iter().collect();
        pieces.sort_by_key(|p| p.logical);
        let real = |v: f32| Object::Real(v);
        let y = (self.height - baseline) / MM_PER_PT;
        self.layer.begin_text_section();
        self.layer.set_character_spacing(spacing);
        let mut current: Option<usize> = None;
        for piece in pieces {
            let left = (x + (piece.x * size + spacing * piece.spaced_before as f32) * MM_PER_PT) / MM_PER_PT;
            let at = Operation::new("Tm", vec![real(1.0), real(0.0), real(0.0), real(1.0), real(left), real(y)]);
            match &piece.kind {
                PieceKind::Plain(chars) => {
                    self.layer.set_font(self.fonts.get(face), size);
                    current = None;
                    self.layer.add_operation(at);
                    self.layer.write_codepoints(layout::Metrics::of(face).glyph_ids(chars.as_str()));
                }
                PieceKind::Cluster(cluster) => {
                    let (font, code) = self.type3.borrow_mut().code_for(cluster);
                    if current != Some(font) {
                        let name = Object::Name(type3::resource_name(font).into_bytes());
                        self.layer.add_operation(Operation::new("Tf", vec![name, real(size)]));
                        current = Some(font);
                    }
                    self.layer.add_operation(at);
                    self.layer.add_operation(Operation::new("Tj", vec![type3::shown(code)]));
                }
            }
        }
        self.layer.end_text_section();
    }

    /// Lines laid out from `top`, aligned in `[x, x + w]`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per text block; a struct would only rename the arguments"
    )]
    fn lines(&self, lines: &[String], face: FontFace, size: f32, spacing: f32, x: f32, w: f32, top: f32, align: Align) {
        let metrics = self.setter(face);
        let line_height = size * LINE_HEIGHT * MM_PER_PT;
        for (i, line) in lines.iter().enumerate() {
            // Letter spacing adds after every glyph, the last one included: leave it out of the width.
            let width = metrics.width_mm(line, size, spacing) - spacing * MM_PER_PT;
            let left = match align {
                Align::Left => x,
                Align::Center => x + (w - width) / 2.0,
                Align::Right => x + w - width,
            };
            let baseline = top + i as f32 * line_height + (line_height + CAP_HEIGHT * size * MM_PER_PT) / 2.0;
            self.line(line, face, size, spacing, left, baseline);
        }
    }

    fn text_block(&self, block: &TextBlock, text: &str) {
        let text = if block.uppercase { layout::uppercase(text) } else { text.to_owned() };
        if text.trim().is_empty() {
            return;
        }
        let metrics = self.setter(block.font);
        let fitted = fit(
            &metrics,
            &text,
            block.size,
            block.min_size.unwrap_or(block.size),
            block.letter_spacing,
            block.w,
            block.h,
        );
        let spacing = block.letter_spacing * fitted.size / block.size;
        let top = match block.valign {
            Valign::Top => block.y,
            Valign::Middle => block.y + (block.h - fitted.height_mm()) / 2.0,
            Valign::Bottom => block.y + block.h - fitted.height_mm(),
        };
        self.layer.set_fill_color(self.color(&block.color));
        self.lines(&fitted.lines, block.font, fitted.size, spacing, block.x, block.w, top, block.align);
    }

    /// Label/value rows; labels wrap in their column, values in theirs; everything shrinks together.
    fn facts(&self, rows: &[(String, String)], area: [f32; 5], size: f32, min: f32, label_color: &str, color: &str) {
        let [x, y, w, h, label_w] = area;
        let gap = 2.0;
        let value_w = w - label_w - gap;
        let (label_m, value_m) = (self.setter(FontFace::Regular), self.setter(FontFace::Bold));
        let laid = fit_with(size, min, |s| {
            let line = s * LINE_HEIGHT * MM_PER_PT;
            let rows: Vec<(Vec<String>, Vec<String>)> = rows
                .iter()
                .map(|(l, v)| (wrap(&label_m, l, s, 0.0, label_w), wrap(&value_m, v, s, 0.0, value_w)))
                .collect();
            let total: f32 = rows.iter().map(|(l, v)| l.len().max(v.len()) as f32 * line + s * 0.45 * MM_PER_PT).sum();
            (total <= h).then_some((s, rows))
        });
        let Some((s, laid)) = laid else { return };
        let line = s * LINE_HEIGHT * MM_PER_PT;
        let mut top = y;
        for (label, value) in laid {
            self.layer.set_fill_color(self.color(label_color));
            self.lines(&label, FontFace::Regular, s, 0.0, x, label_w, top, Align::Left);
            self.layer.set_fill_color(self.color(color));
            self.lines(&value, FontFace::Bold, s, 0.0, x + label_w + gap, value_w, top, Align::Left);
            top += label.len().max(value.len()) as f32 * line + s * 0.45 * MM_PER_PT;
        }
    }

    /// A numbered list with hanging indents.
    fn outcomes(&self, items: &[String], area: [f32; 4], size: f32, min: f32, color: &str) {
        let [x, y, w, h] = area;
        let metrics = self.setter(FontFace::Regular);
        let laid = fit_with(size, min, |s| {
            let indent = metrics.width_mm(&format!("{}. ", items.len()), s, 0.0);
            let line = s * LINE_HEIGHT * MM_PER_PT;
            let wrapped: Vec<Vec<String>> = items.iter().map(|i| wrap(&metrics, i, s, 0.0, w - indent)).collect();
            let total: f32 = wrapped.iter().map(|l| l.len() as f32 * line + s * 0.4 * MM_PER_PT).sum();
            (total <= h).then_some((s, indent, wrapped))
        });
        let Some((s, indent, wrapped)) = laid else { return };
        let line = s * LINE_HEIGHT * MM_PER_PT;
        self.layer.set_fill_color(self.color(color));
        let mut top = y;
        for (n, lines) in wrapped.iter().enumerate() {
            self.lines(&[format!("{}.", n + 1)], FontFace::Regular, s, 0.0, x, indent, top, Align::Left);
            self.lines(lines, FontFace::Regular, s, 0.0, x + indent, w - indent, top, Align::Left);
            top += lines.len() as f32 * line + s * 0.4 * MM_PER_PT;
        }
    }

    /// The QR code on a white square: two modules of quiet zone, dark runs merged into one rectangle each.
    fn qr(&self, url: &str, x: f32, y: f32, size: f32, color: &str) {
        let Some((n, dark)) = super::qr::modules(url.as_bytes(), EcLevel::M) else { return };
        let quiet = 2;
        let module = size / (n + 2 * quiet) as f32;
        self.layer.set_fill_color(Color::Rgb(Rgb::new(1.0, 1.0, 1.0, None)));
        self.rect(x, y, size, size, PaintMode::Fill);
        self.layer.set_fill_color(self.color(color));
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if dark[row * n + col] {
                    let start = col;
                    while col < n && dark[row * n + col] {
                        col += 1;
                    }
                    let left = x + (start + quiet) as f32 * module;
                    let top = y + (row + quiet) as f32 * module;
                    // A hair of overlap so that anti-aliased viewers show no seams between rows.
                    self.rect(left, top, (col - start) as f32 * module, module + 0.01, PaintMode::Fill);
                } else {
                    col += 1;
                }
            }
        }
    }

    /// A disc with a check mark.
    /// The logo fit into the box `[x, y, w, h]` (design space), against its right edge, centred vertically.
    fn logo(&self, logo: &Logo, [x, y, w, h]: [f32; 4], background: &str) {
        let background = self.template.color(background).unwrap_or([1.0; 3]);
        let scale = (w / logo.width as f32).min(h / logo.height as f32);
        let (drawn_w, drawn_h) = (logo.width as f32 * scale, logo.height as f32 * scale);
        let left = x + w - drawn_w;
        let bottom = self.height - y - (h + drawn_h) / 2.0;
        let image = printpdf::ImageXObject {
            width: printpdf::Px(logo.width as usize),
            height: printpdf::Px(logo.height as usize),
            color_space: printpdf::ColorSpace::Rgb,
            bits_per_component: printpdf::ColorBits::Bit8,
            interpolate: true,
            image_data: logo.rgb_over(background),
            image_filter: None,
            smask: None,
            clipping_bbox: None,
        };
        // printpdf maps the image at `dpi` to points; choose the dpi that makes it `drawn_w` millimetres wide.
        let dpi = logo.width as f32 * 25.4 / drawn_w;
        printpdf::Image::from(image).add_to_layer(
            self.layer.clone(),
            printpdf::ImageTransform {
                translate_x: Some(Mm(left)),
                translate_y: Some(Mm(bottom)),
                dpi: Some(dpi),
                ..Default::default()
            },
        );
    }

    fn seal(&self, x: f32, y: f32, r: f32, fill: &str, mark: &str) {
        let centre_y = self.height - y;
        self.layer.set_fill_color(self.color(fill));
        self.layer.add_polygon(Polygon {
            rings: vec![printpdf::utils::calculate_points_for_circle(Mm(r), Mm(x), Mm(centre_y))],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        });
        self.layer.set_outline_color(self.color(mark));
        self.layer.set_outline_thickness(r * 0.45 / MM_PER_PT * 0.35);
        self.layer.add_line(Line {
            points: vec![
                point(x - r * 0.42, centre_y + r * 0.02),
                point(x - r * 0.1, centre_y - r * 0.3),
                point(x + r * 0.45, centre_y + r * 0.32),
            ],
            is_closed: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::extract::read_pdf;
    use std::io::Cursor;

    /// Both ways of finishing give a PDF that reads back with the same credential and text; the fast one is
    /// the one taken, and the output is the same every time.
    #[test]
    fn the_shared_face_embeds_what_printpdfs_own_face_does() {
        let draw = |own: bool| {
            let (doc, page, layer) = PdfDocument::new("t", Mm(297.0), Mm(210.0), "l");
            let at = OffsetDateTime::UNIX_EPOCH;
            let doc = doc.with_document_id("d".into()).with_creation_date(at).with_mod_date(at).with_metadata_date(at);
            let font = if own {
                doc.add_external_font_with_subsetting(Cursor::new(layout::BOLD), true)
            } else {
                let metrics = layout::Metrics::of(FontFace::Bold);
                doc.add_external_font_data(metrics.face().raw_face().data.to_vec(), SharedFace(metrics))
            }
            .unwrap();
            let text = "Γιώργος Иван Петров Ærøskøbing Łódź € “fi” 中";
            doc.get_page(page).get_layer(layer).use_text(text, 12.0, Mm(20.0), Mm(20.0), &font);
            let mut bytes = doc.save_to_bytes().unwrap();
            // printpdf's file identifier is random (microcred's finishing replaces it): blank it out.
            let id = bytes.windows(5).position(|w| w == b"/ID[(").expect("a file identifier");
            bytes[id..id + 72].fill(b'-');
            bytes
        };
        let own = draw(true);
        assert!(own.len() > 1000);
        assert_eq!(draw(false), own);
    }

    #[test]
    fn the_one_pass_rewrite_and_the_lopdf_path_agree() {
        let credential = crate::vc::credential::example("did:web:x.eu:issuers:ucs", "https://x.eu").to_value();
        let json = serde_json::to_string(&credential).unwrap();
        let facts = Facts::of(&credential, "el");
        let labels = Labels::for_tag("el");
        let pdf = render(&facts, json.as_bytes(), &Template::builtin(), labels, Paper::A4).unwrap();
        assert_eq!(pdf, render(&facts, json.as_bytes(), &Template::builtin(), labels, Paper::A4).unwrap());
        let fast = read_pdf(&pdf).unwrap();
        assert_eq!(fast.credential, json.as_bytes());
        assert!(fast.text.iter().any(|t| t == "Иван Петров"), "{:?}", fast.text);
        // The same drawing finished by lopdf.
        let (doc, page, layer) = PdfDocument::new("t", Mm(297.0), Mm(210.0), "l");
        let font = doc.add_external_font_with_subsetting(Cursor::new(layout::REGULAR), true).unwrap();
        doc.get_page(page).get_layer(layer).use_text("Γιώργος", 12.0, Mm(20.0), Mm(20.0), &font);
        let drawn = doc.save_to_bytes().unwrap();
        let meta = Metadata { title: "T", author: "A", subject: "S", created: OffsetDateTime::UNIX_EPOCH };
        let digest = Sha256::digest(b"x");
        let appended = rewrite(&drawn, json.as_bytes(), &meta, &digest).expect("printpdf output is recognised");
        let general = finish(&drawn, json.as_bytes(), &meta, &digest, None).unwrap();
        for bytes in [&appended, &general] {
            let back = read_pdf(bytes).unwrap();
            assert_eq!(back.credential, json.as_bytes());
            assert_eq!(back.text, vec!["Γιώργος".to_owned()]);
        }
        assert!(rewrite(b"%PDF-1.7 not printpdf", b"{}", &meta, &digest).is_none());
    }

    /// One learner per script: printed from the fallback fonts where Noto Sans lacks the script, and read
    /// back (by microcred's own reader) exactly as signed, in logical order. Skipped without the system's
    /// Noto fonts, unless `REQUIRE_TOOLS` is set.
    #[test]
    fn names_in_every_supported_script_print_and_read_back_exactly() {
        let chain = FontChain::system();
        let base = crate::vc::credential::example("did:web:x.eu:issuers:ucs", "https://x.eu").to_value();
        for name in SCRIPT_NAMES {
            if !chain.unprintable(name).is_empty() {
                assert!(std::env::var_os("REQUIRE_TOOLS").is_none(), "REQUIRE_TOOLS is set but no font prints {name}");
                eprintln!("skipping {name}: install fonts-noto-core and fonts-noto-cjk");
                continue;
            }
            let mut credential = base.clone();
            credential["credentialSubject"]["name"] = serde_json::json!(name);
            credential["credentialSubject"]["identifier"][0]["identityHash"] = serde_json::json!(name);
            let json = serde_json::to_string(&credential).unwrap();
            let facts = Facts::of(&credential, "en");
            let labels = Labels::for_tag("en");
            let pdf = render(&facts, json.as_bytes(), &Template::builtin(), labels, Paper::A4).unwrap();
            assert_eq!(pdf, render(&facts, json.as_bytes(), &Template::builtin(), labels, Paper::A4).unwrap());
            if let Some(dir) = std::env::var_os("MICROCRED_PDF_DUMP") {
                std::fs::write(
                    std::path::Path::new(&dir).join(format!("{}.pdf", name.split(' ').next().unwrap())),
                    &pdf,
                )
                .unwrap();
            }
            let back = read_pdf(&pdf).unwrap();
            assert!(back.text.iter().any(|t| t == name), "{name:?} not in {:?}", back.text);
            let printed = crate::certificate::printed_mismatches(&back.text, &credential);
            assert!(printed.is_empty(), "{name}: {printed:?}");
        }
    }

    /// A learner name in each script the chain is meant to print.
    const SCRIPT_NAMES: [&str; 11] = [
        "Zoë Ødegård",
        "Σοφία Παπαδοπούλου",
        "Иван Петров",
        "ليلى حداد",
        "נועה כהן",
        "李伟",
        "李伟 (Li Wei)",
        "अनन्या शर्मा",
        "สมชาย ใจดี",
        "Արամ Պետրոսյան",
        "ნინო ბერიძე",
    ];
}
