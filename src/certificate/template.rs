//! Certificate templates: the page layout as data (`templates/certificates/*.toml`), so an operator can add
//! or change one without rebuilding. `templates/certificates/default.toml` documents the format.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The default template, compiled in.
const DEFAULT: &str = include_str!("../../templates/certificates/default.toml");

/// A certificate layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// How achievements name it (`certificate_template`).
    pub name: String,
    /// For people choosing one.
    #[serde(default)]
    pub description: String,
    /// Width of the design space, in millimetres.
    pub width_mm: f32,
    /// Height of the design space, in millimetres.
    pub height_mm: f32,
    /// Named colours.
    #[serde(default)]
    pub colors: BTreeMap<String, String>,
    /// What is drawn, in order (later elements on top).
    #[serde(rename = "element", default)]
    pub elements: Vec<Element>,
    /// A digest of the template's text: part of the certificates' `ETag`, so editing a template
    /// invalidates cached PDFs.
    #[serde(skip)]
    pub fingerprint: String,
}

/// Horizontal alignment of text in its box.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

/// Vertical alignment of text in its box.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Valign {
    /// From the top.
    #[default]
    Top,
    /// Centred.
    Middle,
    /// Down to the bottom.
    Bottom,
}

/// One of the embedded font faces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FontFace {
    /// Noto Sans Regular.
    #[default]
    Regular,
    /// Noto Sans Bold.
    Bold,
    /// Noto Sans Italic.
    Italic,
}

/// A box of text: wraps inside the box, and shrinks until it fits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBlock {
    /// The text, with `{placeholders}`.
    pub text: String,
    /// Left edge (mm).
    pub x: f32,
    /// Top edge (mm).
    pub y: f32,
    /// Width (mm).
    pub w: f32,
    /// Height (mm).
    pub h: f32,
    /// Font size (pt).
    pub size: f32,
    /// Smallest size to shrink to before it shrinks further only as a last resort (pt).
    pub min_size: Option<f32>,
    /// Face.
    #[serde(default)]
    pub font: FontFace,
    /// Colour.
    #[serde(default = "default_color")]
    pub color: String,
    /// Horizontal alignment.
    #[serde(default)]
    pub align: Align,
    /// Vertical alignment.
    #[serde(default)]
    pub valign: Valign,
    /// Extra space between letters (pt).
    #[serde(default)]
    pub letter_spacing: f32,
    /// Print in capitals.
    #[serde(default)]
    pub uppercase: bool,
}

/// Something drawn on the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Element {
    /// A rectangle, filled and/or outlined.
    Rect {
        /// Left (mm).
        x: f32,
        /// Top (mm).
        y: f32,
        /// Width (mm).
        w: f32,
        /// Height (mm).
        h: f32,
        /// Fill colour.
        fill: Option<String>,
        /// Outline colour.
        stroke: Option<String>,
        /// Outline width (pt).
        stroke_width: Option<f32>,
    },
    /// A straight line.
    Line {
        /// Start x (mm).
        x1: f32,
        /// Start y (mm).
        y1: f32,
        /// End x (mm).
        x2: f32,
        /// End y (mm).
        y2: f32,
        /// Colour.
        color: String,
        /// Width (pt).
        width: f32,
    },
    /// The issuer's logo (the PNG or SVG image the credential names), fit into the box keeping its proportions,
    /// against the right edge and centred vertically; without one, a seal (disc `fill`, check mark `mark`)
    /// as tall as two thirds of the box at its right end.
    Logo {
        /// Left (mm).
        x: f32,
        /// Top (mm).
        y: f32,
        /// Width (mm).
        w: f32,
        /// Height (mm).
        h: f32,
        /// Disc colour of the seal drawn without a logo.
        fill: String,
        /// Check-mark colour of the seal drawn without a logo.
        mark: String,
        /// The colour behind the logo, which its transparent parts take (default `paper`, else white).
        background: Option<String>,
    },
    /// A round seal with a check mark.
    Seal {
        /// Centre x (mm).
        x: f32,
        /// Centre y (mm).
        y: f32,
        /// Radius (mm).
        r: f32,
        /// Disc colour.
        fill: String,
        /// Check-mark colour.
        mark: String,
    },
    /// A box of text.
    Text(TextBlock),
    /// Label/value rows of the micro-credential facts; rows without a value are left out.
    Facts {
        /// Left (mm).
        x: f32,
        /// Top (mm).
        y: f32,
        /// Width (mm).
        w: f32,
        /// Height available (mm).
        h: f32,
        /// Width of the label column (mm).
        label_w: f32,
        /// Font size (pt).
        size: f32,
        /// Smallest size before last-resort shrinking (pt).
        min_size: Option<f32>,
        /// Label colour.
        label_color: String,
        /// Value colour.
        color: String,
        /// Which facts, in order: `date_of_issue`, `valid_until`, `workload`, `eqf_level`, `assessment`,
        /// `participation`, `supervision`, `quality_assurance`, `prerequisites`, `result`, `credential_id`.
        rows: Vec<String>,
    },
    /// The numbered learning outcomes.
    Outcomes {
        /// Left (mm).
        x: f32,
        /// Top (mm).
        y: f32,
        /// Width (mm).
        w: f32,
        /// Height available (mm).
        h: f32,
        /// Font size (pt).
        size: f32,
        /// Smallest size before last-resort shrinking (pt).
        min_size: Option<f32>,
        /// Colour.
        color: String,
    },
    /// The QR code of the credential's public URL, on a white square with its quiet zone.
    Qr {
        /// Left (mm).
        x: f32,
        /// Top (mm).
        y: f32,
        /// Side, quiet zone included (mm).
        size: f32,
        /// Module colour.
        color: String,
    },
}

fn default_color() -> String {
    "#000000".into()
}

/// The facts a `facts` element may list.
pub const FACT_ROWS: [&str; 12] = [
    "date_of_issue",
    "valid_until",
    "issuer_country",
    "workload",
    "eqf_level",
    "assessment",
    "participation",
    "supervision",
    "quality_assurance",
    "prerequisites",
    "result",
    "credential_id",
];

/// A template that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("certificate template {source_name}: {reason}")]
pub struct TemplateError {
    /// The file (or `built-in`).
    pub source_name: String,
    /// What is wrong.
    pub reason: String,
}

impl Template {
    /// Parses and checks a template.
    pub fn parse(source_name: &str, text: &str) -> Result<Self, TemplateError> {
        let error = |reason: String| TemplateError { source_name: source_name.to_owned(), reason };
        let mut template: Self = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        template.check().map_err(error)?;
        use sha2::Digest as _;
        template.fingerprint = sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        Ok(template)
    }

    /// The built-in default template.
    pub fn builtin() -> Self {
        // Checked by a unit test; the fallback keeps rendering possible even if it were broken.
        Self::parse("built-in", DEFAULT).unwrap_or_else(|_| Self {
            name: "default".into(),
            description: String::new(),
            width_mm: 297.0,
            height_mm: 210.0,
            colors: BTreeMap::new(),
            elements: vec![],
            fingerprint: String::new(),
        })
    }

    /// A colour by name or `#rrggbb`, as RGB fractions.
    pub fn color(&self, name: &str) -> Option<[f32; 3]> {
        parse_hex(self.colors.get(name).map_or(name, String::as_str))
    }

    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("name {:?} must be letters, digits, - and _", self.name));
        }
        if !(50.0..=2000.0).contains(&self.width_mm) || !(50.0..=2000.0).contains(&self.height_mm) {
            return Err("width_mm and height_mm must be between 50 and 2000".into());
        }
        for (name, value) in &self.colors {
            parse_hex(value).ok_or_else(|| format!("colour {name} = {value:?} is not #rrggbb"))?;
        }
        for (i, element) in self.elements.iter().enumerate() {
            let colors: Vec<&str> = match element {
                Element::Rect { fill, stroke, .. } => fill.iter().chain(stroke.iter()).map(String::as_str).collect(),
                Element::Line { color, .. } | Element::Outcomes { color, .. } | Element::Qr { color, .. } => {
                    vec![color]
                }
                Element::Seal { fill, mark, .. } => vec![fill, mark],
                Element::Logo { fill, mark, background, .. } => {
                    let mut colors = vec![fill.as_str(), mark.as_str()];
                    colors.extend(background.as_deref());
                    colors
                }
                Element::Text(t) => vec![&t.color],
                Element::Facts { label_color, color, rows, .. } => {
                    if let Some(row) = rows.iter().find(|r| !FACT_ROWS.contains(&r.as_str())) {
                        return Err(format!("element {}: unknown fact {row:?}", i + 1));
                    }
                    vec![label_color, color]
                }
            };
            if let Some(bad) = colors.iter().find(|c| self.color(c).is_none()) {
                return Err(format!("element {}: colour {bad:?} is neither #rrggbb nor defined in [colors]", i + 1));
            }
            let sizes = match element {
                Element::Text(t) => vec![t.size, t.w, t.h],
                Element::Facts { size, w, h, .. } | Element::Outcomes { size, w, h, .. } => vec![*size, *w, *h],
                Element::Qr { size, .. } => vec![*size],
                Element::Seal { r, .. } => vec![*r],
                Element::Logo { w, h, .. } => vec![*w, *h],
                Element::Rect { .. } | Element::Line { .. } => vec![1.0],
            };
            if sizes.iter().any(|s| !s.is_finite() || *s <= 0.0) {
                return Err(format!("element {}: sizes must be positive", i + 1));
            }
        }
        Ok(())
    }
}

fn parse_hex(value: &str) -> Option<[f32; 3]> {
    let hex = value.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|v| f32::from(v) / 255.0);
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The templates a deployment offers: the built-in `default`, and any `*.toml` in `<dir>/certificates/`
/// (which may replace `default`).
#[derive(Debug, Clone)]
pub struct Templates {
    templates: BTreeMap<String, Template>,
}

impl Default for Templates {
    fn default() -> Self {
        let builtin = Template::builtin();
        Self { templates: BTreeMap::from([(builtin.name.clone(), builtin)]) }
    }
}

impl Templates {
    /// The built-in template plus the operator's, read from `<dir>/certificates/*.toml`. A missing folder
    /// is fine; a template that does not parse is an error naming the file.
    pub fn load(dir: &Path) -> Result<Self, TemplateError> {
        let mut templates = Self::default();
        let folder = dir.join("certificates");
        let Ok(entries) = std::fs::read_dir(&folder) else { return Ok(templates) };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| TemplateError { source_name: name.clone(), reason: e.to_string() })?;
            let template = Template::parse(&name, &text)?;
            templates.templates.insert(template.name.clone(), template);
        }
        Ok(templates)
    }

    /// A template by name.
    pub fn get(&self, name: &str) -> Option<&Template> {
        self.templates.get(name)
    }

    /// The default template.
    pub fn default_template(&self) -> &Template {
        self.templates.get("default").unwrap_or_else(|| builtin_ref())
    }

    /// Every template's name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }
}

fn builtin_ref() -> &'static Template {
    static BUILTIN: std::sync::LazyLock<Template> = std::sync::LazyLock::new(Template::builtin);
    &BUILTIN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_parses() {
        let template = Template::parse("default.toml", DEFAULT).unwrap();
        assert_eq!(template.name, "default");
        assert!(template.elements.iter().any(|e| matches!(e, Element::Qr { .. })));
        assert_eq!(template.color("navy"), Some([31.0 / 255.0, 58.0 / 255.0, 95.0 / 255.0]));
    }

    #[test]
    fn broken_templates_are_refused_with_the_reason() {
        let bad_color = DEFAULT.replace("navy = \"#1f3a5f\"", "navy = \"blue\"");
        let error = Template::parse("t.toml", &bad_color).unwrap_err().to_string();
        assert!(error.contains("t.toml") && error.contains("navy"), "{error}");
        let bad_fact = DEFAULT.replace("\"eqf_level\",", "\"shoe_size\",");
        assert!(Template::parse("t.toml", &bad_fact).unwrap_err().to_string().contains("shoe_size"));
        let unknown_key = format!("{DEFAULT}\n[extra]\n");
        assert!(Template::parse("t.toml", &unknown_key).is_err());
    }
}
