//! Reading a certificate PDF back: the embedded credential, and the printed text (to check that what is
//! printed is what was signed). Input may be hostile (uploads to `/verify`): nothing here panics, and
//! sizes are bounded by the caller.

use std::collections::{BTreeMap, HashMap};

use lopdf::{Document, Object};

use super::pdf::ATTACHMENT_NAME;

/// What could not be read from a PDF.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Not a PDF lopdf can read.
    #[error("not a readable PDF: {0}")]
    Unreadable(String),
    /// A PDF without an embedded credential.
    #[error(
        "the PDF has no embedded credential (an attachment named {ATTACHMENT_NAME} or of type application/vc+ld+json)"
    )]
    NoCredential,
}

/// A PDF certificate's embedded credential (raw bytes) and its printed text, line by line.
#[derive(Debug)]
pub struct PdfContents {
    /// The embedded credential file, as embedded.
    pub credential: Vec<u8>,
    /// The text drawn on the pages, one entry per text object.
    pub text: Vec<String>,
}

/// Reads the embedded credential and the printed text of a PDF.
pub fn read_pdf(bytes: &[u8]) -> Result<PdfContents, ExtractError> {
    parse_guarded(bytes, |doc| {
        let credential = embedded_credential(doc).ok_or(ExtractError::NoCredential)?;
        Ok(PdfContents { credential, text: page_text(doc) })
    })
}

/// The printed text of a PDF alone, line by line (for a certificate whose attachment was removed).
pub fn read_pdf_text(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    parse_guarded(bytes, |doc| Ok(page_text(doc)))
}

/// Deepest nesting of arrays and dictionaries accepted: real PDFs nest a handful of levels.
const MAX_NESTING: usize = 256;
/// Largest decompressed stream looked into, and all of them together, in bytes.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;
/// Stack of the thread that parses: lopdf's parser recurses once per nesting level.
const PARSE_STACK: usize = 64 * 1024 * 1024;

/// Parses `bytes` and runs `read` on the document, safely for hostile input: lopdf's parser recurses once per
/// nested array or dictionary, so a few kilobytes of `[[[[…` would overflow a thread's stack and abort the
/// process. The file is first scanned, with its Flate streams inflated (bounded), for nesting deeper than
/// [`MAX_NESTING`]; then parsed on a thread with a large stack, as a second line of defence.
fn parse_guarded<T: Send>(
    bytes: &[u8],
    read: impl FnOnce(&Document) -> Result<T, ExtractError> + Send,
) -> Result<T, ExtractError> {
    check_nesting(bytes)?;
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("pdf-reader".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || {
                let doc = Document::load_mem(bytes).map_err(|e| ExtractError::Unreadable(e.to_string()))?;
                read(&doc)
            })
            .map_err(|e| ExtractError::Unreadable(format!("cannot start the reader: {e}")))?;
        worker.join().unwrap_or_else(|_| Err(ExtractError::Unreadable("the PDF reader failed".into())))
    })
}

/// Refuses a PDF nested deeper than [`MAX_NESTING`], in its body or in any Flate stream (object streams and
/// page contents are parsed too), or whose streams inflate beyond [`MAX_INFLATED`].
fn check_nesting(bytes: &[u8]) -> Result<(), ExtractError> {
    let too_deep = || ExtractError::Unreadable(format!("nested more than {MAX_NESTING} levels deep"));
    let mut budget = MAX_INFLATED;
    let (depth, streams) = scan(bytes);
    if depth > MAX_NESTING {
        return Err(too_deep());
    }
    for (start, end) in streams {
        let mut inflated = Vec::new();
        let mut decoder = std::io::Read::take(flate2::read::ZlibDecoder::new(&bytes[start..end]), budget + 1);
        // Streams that are not Flate, or are damaged, fail here: lopdf reads those as it can, without nesting.
        let _ = std::io::Read::read_to_end(&mut decoder, &mut inflated);
        if inflated.len() as u64 > budget {
            return Err(ExtractError::Unreadable("its streams inflate to more than 64 MiB".into()));
        }
        budget -= inflated.len() as u64;
        if scan(&inflated).0 > MAX_NESTING {
            return Err(too_deep());
        }
    }
    Ok(())
}

/// The deepest nesting of `[` and `<<` in PDF syntax (strings, hex strings and comments skipped), and where
/// the data of each `stream … endstream` is.
fn scan(data: &[u8]) -> (usize, Vec<(usize, usize)>) {
    let (mut depth, mut deepest, mut streams) = (0usize, 0usize, Vec::new());
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'(' => {
                // A literal string: balanced parentheses, backslash escapes.
                let mut level = 1;
                i += 1;
                while i < data.len() && level > 0 {
                    match data[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => level -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'<' if data.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'>' if data.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'<' => {
                while i < data.len() && data[i] != b'>' {
                    i += 1;
                }
            }
            b's' if data[i..].starts_with(b"stream") && matches!(data.get(i + 6), Some(b'\r' | b'\n')) => {
                let mut start = i + 6;
                if data.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if data.get(start) == Some(&b'\n') {
                    start += 1;
                }
                let end = find(&data[start..], b"endstream").map_or(data.len(), |at| start + at);
                streams.push((start, end));
                i = end + 9;
                continue;
            }
            _ => {}
        }
        deepest = deepest.max(depth);
        i += 1;
    }
    (deepest, streams)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    /// Found by trying: a 4 KB PDF of nested arrays aborted the whole server with a stack overflow.
    #[test]
    fn deeply_nested_pdfs_are_refused_not_fatal() {
        let deep = format!(
            "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /X {}{} >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let error = read_pdf(deep.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("nested more than 256 levels"), "{error}");
        // The same inside a Flate stream (an object stream or page contents).
        let mut compressed = Vec::new();
        let mut encoder = flate2::write::ZlibEncoder::new(&mut compressed, flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, "[".repeat(100_000).as_bytes()).unwrap();
        encoder.finish().unwrap();
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 9 /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend(&compressed);
        pdf.extend(b"\nendstream\nendobj\n%%EOF\n");
        assert!(read_pdf(&pdf).unwrap_err().to_string().contains("nested more than"));
        // Strings, comments and ordinary nesting do not count.
        let (depth, _) = scan(b"<< /A [ [ (]]]]]( [[[[ ) ) ] ] % [[[[[[\n /B <5b5b5b> >>");
        assert_eq!(depth, 3);
    }
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Object> {
    doc.dereference(object).ok().map(|(_, o)| o)
}

/// The file of the catalog's `/AF` or `/Names /EmbeddedFiles` named `credential.json`, or the first one of
/// type `application/vc+ld+json`.
fn embedded_credential(doc: &Document) -> Option<Vec<u8>> {
    let catalog = doc.catalog().ok()?;
    let mut specs: Vec<&Object> = Vec::new();
    if let Some(Object::Array(af)) = catalog.get(b"AF").ok().and_then(|o| resolve(doc, o)) {
        specs.extend(af.iter());
    }
    let embedded = catalog
        .get(b"Names")
        .ok()
        .and_then(|o| resolve(doc, o))
        .and_then(|n| n.as_dict().ok())
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok());
    if let Some(Ok(Object::Array(names))) = embedded.map(|e| e.get(b"Names")) {
        specs.extend(names.iter().skip(1).step_by(2));
    }
    let files: Vec<(String, Vec<u8>, bool)> = specs
        .into_iter()
        .filter_map(|spec| {
            let spec = resolve(doc, spec)?.as_dict().ok()?;
            let name = spec
                .get(b"UF")
                .or_else(|_| spec.get(b"F"))
                .ok()
                .and_then(|o| o.as_str().ok())
                .map(decode_text_string)
                .unwrap_or_default();
            let ef = resolve(doc, spec.get(b"EF").ok()?)?.as_dict().ok()?;
            let stream = resolve(doc, ef.get(b"F").or_else(|_| ef.get(b"UF")).ok()?)?.as_stream().ok()?;
            let is_vc =
                stream.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(b"application/vc+ld+json");
            let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            Some((name, content, is_vc))
        })
        .collect();
    files
        .iter()
        .find(|(name, _, _)| name == ATTACHMENT_NAME)
        .or_else(|| files.iter().find(|(_, _, is_vc)| *is_vc))
        .map(|(_, content, _)| content.clone())
}

/// Big-endian 16-bit units (a trailing odd byte counts as a unit of its own).
fn units_be(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
}

/// A PDF text string: UTF-16BE with a byte-order mark, or PDFDocEncoding (read as Latin-1).
fn decode_text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16_lossy(&units_be(utf16).collect::<Vec<_>>()),
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// A font's ToUnicode map (if it has one) and whether its codes are two bytes long (a `Type0` font, as
/// microcred's Identity-H fonts are) or one (simple fonts, such as microcred's Type 3 fonts).
type CodeMap = (Option<HashMap<u16, String>>, bool);

/// The text shown by `Tj`/`TJ` on every page, decoded through each font's `ToUnicode` map (fonts without
/// one are read byte by byte).
fn page_text(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    for page in doc.get_pages().into_values() {
        let fonts: BTreeMap<Vec<u8>, CodeMap> = page_fonts(doc, page)
            .into_iter()
            .map(|(name, font)| {
                let map = font
                    .get(b"ToUnicode")
                    .ok()
                    .and_then(|o| resolve(doc, o))
                    .and_then(|o| o.as_stream().ok())
                    .and_then(|s| s.decompressed_content().ok().or_else(|| Some(s.content.clone())))
                    .map(|cmap| parse_to_unicode(&cmap));
                let two_byte = font.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(b"Type0");
                (name, (map, two_byte))
            })
            .collect();
        let Ok(content) = doc.get_and_decode_page_content(page) else { continue };
        let mut font: Option<&CodeMap> = None;
        let mut current = String::new();
        for op in &content.operations {
            match op.operator.as_str() {
                "Tf" => font = op.operands.first().and_then(|n| n.as_name().ok()).and_then(|n| fonts.get(n)),
                "Tj" | "'" | "\"" => {
                    if let Some(Object::String(bytes, _)) = op.operands.last() {
                        current.push_str(&decode_shown(bytes, font));
                    }
                }
                "TJ" => {
                    for item in op.operands.first().and_then(|a| a.as_array().ok()).into_iter().flatten() {
                        if let Object::String(bytes, _) = item {
                            current.push_str(&decode_shown(bytes, font));
                        }
                    }
                }
                "ET" => out.push(std::mem::take(&mut current)),
                _ => {}
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// The fonts of a page's resources, following references (lopdf's `get_page_fonts` does not follow a
/// `/Font` entry that is a reference, which is how printpdf writes it).
fn page_fonts(doc: &Document, page: lopdf::ObjectId) -> Vec<(Vec<u8>, &lopdf::Dictionary)> {
    fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a lopdf::Dictionary> {
        resolve(doc, o).and_then(|o| o.as_dict().ok())
    }
    let dict = |o| dict(doc, o);
    let Some(page) = doc.get_dictionary(page).ok() else { return vec![] };
    let Some(fonts) = page.get(b"Resources").ok().and_then(dict).and_then(|r| r.get(b"Font").ok()).and_then(dict)
    else {
        return vec![];
    };
    fonts.iter().filter_map(|(name, font)| Some((name.clone(), dict(font)?))).collect()
}

fn decode_shown(bytes: &[u8], font: Option<&CodeMap>) -> String {
    match font {
        Some((Some(map), true)) => units_be(bytes).filter_map(|code| map.get(&code).map(String::as_str)).collect(),
        Some((Some(map), false)) => bytes.iter().filter_map(|&b| map.get(&u16::from(b)).map(String::as_str)).collect(),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The `bfchar` and `bfrange` entries of a ToUnicode CMap (PDF 32000-1 §9.10.3). Written here rather than
/// taken from `adobe-cmap-parser`, which panics on malformed input; this reads only `<hex>` tokens and
/// ignores anything it does not understand.
fn parse_to_unicode(cmap: &[u8]) -> HashMap<u16, String> {
    let text = String::from_utf8_lossy(cmap);
    let mut map = HashMap::new();
    let hex = |token: &str| -> Option<Vec<u8>> {
        let inner = token.strip_prefix('<')?.strip_suffix('>')?;
        (inner.len() % 2 == 0 && inner.is_ascii())
            .then(|| (0..inner.len()).step_by(2).map(|i| u8::from_str_radix(&inner[i..i + 2], 16).ok()).collect())?
    };
    let code = |bytes: &[u8]| -> Option<u16> {
        match bytes {
            [b] => Some(u16::from(*b)),
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    };
    let unicode = |bytes: &[u8]| String::from_utf16_lossy(&units_be(bytes).collect::<Vec<_>>());
    let tokens: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || c == '[' || c == ']').filter(|t| !t.is_empty()).collect();
    let mut i = 0;
    let mut section = "";
    while i < tokens.len() {
        match tokens[i] {
            "beginbfchar" | "beginbfrange" => section = tokens[i],
            "endbfchar" | "endbfrange" => section = "",
            _ if section == "beginbfchar" => {
                if let (Some(src), Some(dst)) =
                    (hex(tokens[i]).as_deref().and_then(code), tokens.get(i + 1).and_then(|t| hex(t)))
                {
                    map.insert(src, unicode(&dst));
                    i += 1;
                }
            }
            _ if section == "beginbfrange" => {
                let lo = hex(tokens[i]).as_deref().and_then(code);
                let hi = tokens.get(i + 1).and_then(|t| hex(t)).as_deref().and_then(code);
                let dst = tokens.get(i + 2).and_then(|t| hex(t));
                if let (Some(lo), Some(hi), Some(dst)) = (lo, hi, dst) {
                    let start = unicode(&dst);
                    // Bounded: at most 256 codes per range, as the specification requires.
                    for (offset, src) in (lo..=hi).take(256).enumerate() {
                        let shifted: String = start
                            .chars()
                            .enumerate()
                            .map(|(k, c)| {
                                if k + 1 == start.chars().count() {
                                    char::from_u32(c as u32 + offset as u32).unwrap_or(c)
                                } else {
                                    c
                                }
                            })
                            .collect();
                        map.insert(src, shifted);
                    }
                    i += 2;
                }
            }
            _ => {}
        }
        i += 1;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_maps_are_read_and_malformed_ones_do_not_panic() {
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n2 beginbfchar\r\n<0003> <0418>\n<0004> <03b3>\nendbfchar\r\n1 beginbfrange <0010> <0012> <0041> endbfrange";
        let map = parse_to_unicode(cmap);
        assert_eq!(map[&3], "И");
        assert_eq!(map[&4], "γ");
        assert_eq!(map[&0x11], "B");
        for junk in [&b"beginbfchar <0"[..], b"beginbfrange <ffff> <0000> <zz>", b"<<<>>>", &[0xff, 0xfe, 0x00][..]] {
            let _ = parse_to_unicode(junk);
        }
        assert!(matches!(read_pdf(b"%PDF-1.7 nonsense"), Err(ExtractError::Unreadable(_))));
    }
}
