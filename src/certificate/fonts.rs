//! The fonts a certificate prints with, as a fallback chain: the bundled Noto Sans (Latin, Greek,
//! Cyrillic) first, then the operator's font folder (`--fonts-dir`), then the system's Noto Sans fonts
//! ([`SYSTEM_FONT_DIRS`], filled by Debian's `fonts-noto-core` and `fonts-noto-cjk`). Each character is
//! printed in the first font of the chain that has a glyph for it; a character no font has cannot be
//! printed, and [`FontChain::unprintable`] names it so that an award can be refused before it is signed.
//!
//! Discovery reads only each file's table directory, `cmap` and `name` tables; a font program is read whole
//! the first time a certificate needs it, and kept. Both are cached per process, by path.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use super::layout::{self, Metrics};
use super::template::FontFace;

/// Where Debian's Noto packages put their fonts: `fonts-noto-core` (TrueType, one file per script) and
/// `fonts-noto-cjk` (OpenType/CFF collections).
pub const SYSTEM_FONT_DIRS: [&str; 2] = ["/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto"];

/// Which font of the chain prints a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// The bundled Noto Sans.
    Bundled,
    /// The fallback family at this position of the chain.
    Fallback(usize),
}

/// A font program: the file's bytes and the face's index in it (non-zero only in a collection).
#[derive(Debug, Clone)]
pub struct FontProgram {
    /// The whole file.
    pub bytes: Bytes,
    /// The face's index in a collection (`.ttc`), else 0.
    pub index: u32,
}

/// The bytes of a font file: compiled in, or read from disk and shared.
#[derive(Debug, Clone)]
pub enum Bytes {
    /// A bundled font.
    Static(&'static [u8]),
    /// A file read from disk.
    Shared(Arc<[u8]>),
}

impl Bytes {
    /// The font file's bytes, wherever they are kept.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Static(bytes) => bytes,
            Self::Shared(bytes) => bytes,
        }
    }
}

/// One font file of the chain: where it is, which face of it, and which characters it has.
#[derive(Debug)]
struct FontFile {
    path: PathBuf,
    index: u32,
    /// Inclusive ranges of code points with a glyph, sorted.
    ranges: Vec<(u32, u32)>,
    program: OnceLock<Option<Arc<[u8]>>>,
}

impl FontFile {
    fn covers(&self, c: char) -> bool {
        let c = u32::from(c);
        let at = self.ranges.partition_point(|&(_, hi)| hi < c);
        self.ranges.get(at).is_some_and(|&(lo, _)| lo <= c)
    }

    fn program(&self) -> Option<FontProgram> {
        let bytes = self.program.get_or_init(|| match std::fs::read(&self.path) {
            Ok(bytes) => Some(Arc::from(bytes)),
            Err(e) => {
                tracing::warn!(font.path = %self.path.display(), "cannot read font {}: {e}", self.path.display());
                None
            }
        });
        Some(FontProgram { bytes: Bytes::Shared(Arc::clone(bytes.as_ref()?)), index: self.index })
    }
}

/// A family of the chain: its regular face (whose coverage decides) and, where the folder has them, bold
/// and italic faces (`Name-Bold.ttf`, `Name-Italic.ttf`); missing styles print in the regular face.
#[derive(Debug)]
struct Family {
    regular: Arc<FontFile>,
    bold: Option<Arc<FontFile>>,
    italic: Option<Arc<FontFile>>,
}

/// The fallback chain: the bundled Noto Sans, then the fallback families in order.
///
/// See: <https://notofonts.github.io/>
#[derive(Debug, Default)]
pub struct FontChain {
    families: Vec<Family>,
}

impl FontChain {
    /// Only the bundled Noto Sans (Latin, Greek, Cyrillic).
    pub fn bundled() -> Self {
        Self::default()
    }

    /// The bundled Noto Sans, then every font in `fonts_dir` (`*.ttf`, `*.otf`, `*.ttc`, `*.otc`, by file
    /// name), then the system's Noto Sans fonts in [`SYSTEM_FONT_DIRS`]. Unreadable files and folders are
    /// skipped (with a warning for the operator's folder).
    pub fn discover(fonts_dir: Option<&Path>) -> Self {
        let system: Vec<&Path> = SYSTEM_FONT_DIRS.iter().map(Path::new).collect();
        Self::from_dirs(fonts_dir, &system)
    }

    /// The bundled Noto Sans and the system's Noto Sans fonts, discovered once per process (the chain of
    /// renderings that are given none, such as tests and examples).
    pub fn system() -> &'static FontChain {
        static SYSTEM: LazyLock<FontChain> = LazyLock::new(|| FontChain::discover(None));
        &SYSTEM
    }

    /// [`FontChain::discover`] with other system folders (tests).
    pub fn from_dirs(fonts_dir: Option<&Path>, system_dirs: &[&Path]) -> Self {
        let mut families = Vec::new();
        if let Some(dir) = fonts_dir {
            match std::fs::read_dir(dir) {
                Ok(_) => families.extend(families_in(dir, |_| true)),
                Err(e) => {
                    tracing::warn!(fonts.dir = %dir.display(), "cannot read the fonts folder {}: {e}", dir.display())
                }
            }
        }
        for dir in system_dirs {
            // Noto Sans only (not Serif, Mono or the tighter UI variants), so that a name prints in one style.
            families.extend(families_in(dir, |stem| {
                stem.starts_with("NotoSans") && !stem.contains("Mono") && !stem.ends_with("UI")
            }));
        }
        Self { families }
    }

    /// How many fallback families follow the bundled font.
    pub fn fallback_count(&self) -> usize {
        self.families.len()
    }

    /// The files of the fallback families, in order (for logs and cache keys).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.families.iter().map(|f| f.regular.path.as_path())
    }

    /// The first font of the chain with a glyph for `c`; `None` when no font has one.
    pub fn source_for(&self, c: char) -> Option<Source> {
        if Metrics::of(FontFace::Regular).covers(c) {
            return Some(Source::Bundled);
        }
        self.families.iter().position(|f| f.regular.covers(c)).map(Source::Fallback)
    }

    /// Whether `source` has a glyph for `c`.
    pub fn covers(&self, source: Source, c: char) -> bool {
        match source {
            Source::Bundled => Metrics::of(FontFace::Regular).covers(c),
            Source::Fallback(i) => self.families.get(i).is_some_and(|f| f.regular.covers(c)),
        }
    }

    /// The characters of `text` that no font of the chain can print, each once, in order of appearance.
    /// Characters that are never drawn (joiners, variation selectors, bidi controls) and line breaks are
    /// not counted.
    pub fn unprintable(&self, text: &str) -> Vec<char> {
        let mut missing: Vec<char> = Vec::new();
        for c in text.chars() {
            if !is_default_ignorable(c)
                && !matches!(c, '\n' | '\r' | '\t')
                && self.source_for(c).is_none()
                && !missing.contains(&c)
            {
                missing.push(c);
            }
        }
        missing
    }

    /// The font program that prints `source` in `face`: the family's file for that style, else its regular
    /// one. `None` when the file can no longer be read.
    pub fn program(&self, source: Source, face: FontFace) -> Option<FontProgram> {
        match source {
            Source::Bundled => Some(FontProgram {
                bytes: Bytes::Static(match face {
                    FontFace::Regular => layout::REGULAR,
                    FontFace::Bold => layout::BOLD,
                    FontFace::Italic => layout::ITALIC,
                }),
                index: 0,
            }),
            Source::Fallback(i) => {
                let family = self.families.get(i)?;
                let styled = match face {
                    FontFace::Regular => None,
                    FontFace::Bold => family.bold.as_ref(),
                    FontFace::Italic => family.italic.as_ref(),
                };
                styled.and_then(|f| f.program()).or_else(|| family.regular.program())
            }
        }
    }

    /// The regular face of `source` (when a styled face lacks a glyph its regular face has).
    pub fn regular_program(&self, source: Source) -> Option<FontProgram> {
        self.program(source, FontFace::Regular)
    }
}

impl crate::domain::award::Printable for FontChain {
    fn unprintable(&self, text: &str) -> Vec<char> {
        FontChain::unprintable(self, text)
    }
}

/// Characters that are never drawn on their own (Unicode's `Default_Ignorable_Code_Point`): joiners,
/// variation selectors, bidi controls, the soft hyphen.
///
/// See: <https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point>
pub fn is_default_ignorable(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// The families of the font files in `dir` whose stem `wanted` accepts, by file name.
fn families_in(dir: &Path, wanted: impl Fn(&str) -> bool) -> Vec<Family> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"))
        })
        .collect();
    files.sort();
    // `Name-Regular.ttf` with `Name-Bold.ttf` and `Name-Italic.ttf` form a family; a file without a style
    // suffix is a family of its own.
    let style = |p: &Path| -> (String, &'static str) {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        for suffix in ["Regular", "Bold", "Italic"] {
            if let Some(base) = stem.strip_suffix(suffix).and_then(|b| b.strip_suffix('-')) {
                return (base.to_owned(), suffix);
            }
        }
        (stem.to_owned(), "")
    };
    let mut families = Vec::new();
    for path in &files {
        let (base, suffix) = style(path);
        if !matches!(suffix, "Regular" | "") || !wanted(&base) {
            continue;
        }
        let Some(regular) = scanned(path) else { continue };
        let sibling = |name: &str| files.iter().find(|p| style(p) == (base.clone(), name)).and_then(|p| scanned(p));
        families.push(Family { regular, bold: sibling("Bold"), italic: sibling("Italic") });
    }
    families
}

/// A font file's coverage, scanned once per process (keyed by path, size and modification time).
fn scanned(path: &Path) -> Option<Arc<FontFile>> {
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static CACHE: LazyLock<Mutex<HashMap<Key, Option<Arc<FontFile>>>>> = LazyLock::new(Mutex::default);
    let meta = std::fs::metadata(path).ok()?;
    let key = (path.to_owned(), meta.len(), meta.modified().ok());
    if let Some(done) = CACHE.lock().ok()?.get(&key) {
        return done.clone();
    }
    let file = scan(path).map(Arc::new);
    if file.is_none() {
        tracing::debug!(font.path = %path.display(), "not a usable font: {}", path.display());
    }
    CACHE.lock().ok()?.insert(key, file.clone());
    file
}

/// Reads a font file's `cmap` (and, in a collection, each face's `name`) without reading the whole file.
fn scan(path: &Path) -> Option<FontFile> {
    let mut file = File::open(path).ok()?;
    let mut read = |offset: u64, len: usize| -> Option<Vec<u8>> {
        // Bounded: no table microcred reads here is near 16 MiB.
        if len > 16 << 20 {
            return None;
        }
        let mut buf = vec![0; len];
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> { Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?)) };
    let head = read(0, 12)?;
    let offsets: Vec<u32> = if &head[..4] == b"ttcf" {
        let count = u32_at(&head, 8)?.min(64) as usize;
        let table = read(12, count * 4)?;
        (0..count).map(|i| u32_at(&table, i * 4)).collect::<Option<_>>()?
    } else {
        vec![0]
    };
    // In a collection, the face for Simplified Chinese where there is one (Noto Sans CJK SC), else the first.
    let mut chosen: Option<(u32, Vec<u8>)> = None;
    for (index, &offset) in offsets.iter().enumerate() {
        let directory = read(u64::from(offset), 12)?;
        let tables = usize::from(u16::from_be_bytes([directory[4], directory[5]]));
        let records = read(u64::from(offset) + 12, tables * 16)?;
        let table = |tag: &[u8; 4]| {
            records.chunks(16).find(|r| &r[..4] == tag).and_then(|r| Some((u32_at(r, 8)?, u32_at(r, 12)?)))
        };
        let (cmap_at, cmap_len) = table(b"cmap")?;
        let cmap = read(u64::from(cmap_at), cmap_len as usize)?;
        let simplified = offsets.len() > 1
            && table(b"name")
                .and_then(|(at, len)| read(u64::from(at), len as usize))
                .is_some_and(|name| family_name(&name).is_some_and(|n| n.ends_with(" SC")));
        if chosen.is_none() || simplified {
            chosen = Some((u32::try_from(index).ok()?, cmap));
        }
        if offsets.len() == 1 || simplified {
            break;
        }
    }
    let (index, cmap) = chosen?;
    let ranges = coverage(&cmap)?;
    (!ranges.is_empty()).then(|| FontFile { path: path.to_owned(), index, ranges, program: OnceLock::new() })
}

fn family_name(name: &[u8]) -> Option<String> {
    let table = rustybuzz::ttf_parser::name::Table::parse(name)?;
    let ids = [rustybuzz::ttf_parser::name_id::TYPOGRAPHIC_FAMILY, rustybuzz::ttf_parser::name_id::FAMILY];
    ids.iter().find_map(|id| table.names.into_iter().find(|n| n.name_id == *id && n.is_unicode())?.to_string())
}

/// The code points a `cmap` table maps, as sorted inclusive ranges.
fn coverage(cmap: &[u8]) -> Option<Vec<(u32, u32)>> {
    let table = rustybuzz::ttf_parser::cmap::Table::parse(cmap)?;
    let mut points = Vec::new();
    for subtable in table.subtables {
        if subtable.is_unicode() {
            subtable.codepoints(|c| {
                if subtable.glyph_index(c).is_some_and(|g| g.0 != 0) {
                    points.push(c);
                }
            });
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in points {
        match ranges.last_mut() {
            Some((_, hi)) if *hi + 1 == c => *hi = c,
            _ => ranges.push((c, c)),
        }
    }
    Some(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_prints_latin_greek_and_cyrillic_and_names_what_it_cannot() {
        let chain = FontChain::bundled();
        assert!(chain.unprintable("Zoë Ødegård Σοφία Иван\u{200D}\u{FE0F}").is_empty());
        assert_eq!(chain.unprintable("李伟 (Li Wei) 李"), vec!['李', '伟']);
        assert_eq!(chain.source_for('a'), Some(Source::Bundled));
        assert_eq!(chain.source_for('\u{E000}'), None);
    }

    #[test]
    fn coverage_is_read_from_the_cmap_as_ranges() {
        let ranges = coverage(&cmap_of(layout::REGULAR)).unwrap();
        let file = FontFile { path: PathBuf::new(), index: 0, ranges: ranges.clone(), program: OnceLock::new() };
        assert!(file.covers('A') && file.covers('Ж') && file.covers('ω'));
        assert!(!file.covers('李') && !file.covers('\u{E000}'));
        assert!(ranges.windows(2).all(|w| w[0].1 + 1 < w[1].0), "ranges are sorted and merged");
    }

    #[test]
    fn the_operators_folder_comes_before_the_system_fonts_and_styles_pair_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Custom-Regular.ttf"), layout::REGULAR).unwrap();
        std::fs::write(dir.path().join("Custom-Bold.ttf"), layout::BOLD).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a font").unwrap();
        std::fs::write(dir.path().join("Broken.ttf"), "not a font either").unwrap();
        let chain = FontChain::from_dirs(Some(dir.path()), &[]);
        assert_eq!(chain.fallback_count(), 1);
        assert!(chain.families[0].bold.is_some() && chain.families[0].italic.is_none());
        assert!(chain.covers(Source::Fallback(0), 'Ж'));
        let program = chain.program(Source::Fallback(0), FontFace::Italic).unwrap();
        assert_eq!(program.bytes.as_slice(), layout::REGULAR, "a missing style prints in the regular face");
        assert!(FontChain::from_dirs(Some(&dir.path().join("absent")), &[]).fallback_count() == 0);
    }

    fn cmap_of(font: &[u8]) -> Vec<u8> {
        let face = rustybuzz::ttf_parser::RawFace::parse(font, 0).unwrap();
        face.table(rustybuzz::ttf_parser::Tag::from_bytes(b"cmap")).unwrap().to_vec()
    }
}
