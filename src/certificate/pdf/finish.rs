//! Finishing a drawn certificate: the signed credential embedded as an associated file, deterministic
//! document information and XMP metadata, and the Type 3 fonts of shaped text. One pass over printpdf's
//! bytes when they look as expected ([`rewrite`]), lopdf's general path otherwise ([`finish`]); both give
//! documents that read back the same.

use lopdf::{Dictionary, Object, Stream, StringFormat};
use time::OffsetDateTime;

use super::{ATTACHMENT_MIME, ATTACHMENT_NAME, PdfError};
use crate::certificate::type3::Type3Fonts;

/// What the PDF's document information says.
pub(super) struct Metadata<'a> {
    /// `Title`: the achievement and the learner.
    pub(super) title: &'a str,
    /// `Author`: the issuer.
    pub(super) author: &'a str,
    /// `Subject`: the achievement.
    pub(super) subject: &'a str,
    /// `CreationDate` and `ModDate`: the credential's `validFrom`, so the bytes do not depend on when they
    /// were made.
    pub(super) created: OffsetDateTime,
}

impl Metadata<'_> {
    /// The document information's text entries.
    fn texts(&self) -> [(&'static str, &str); 5] {
        [
            ("Title", self.title),
            ("Author", self.author),
            ("Subject", self.subject),
            ("Creator", "microcred"),
            ("Producer", "microcred (printpdf, lopdf)"),
        ]
    }
}

/// The bytes of a PDF text string: UTF-16BE with a byte-order mark, so that any script survives.
fn utf16_text(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    bytes
}

/// A PDF text string as a lopdf object.
fn text_string(text: &str) -> Object {
    Object::String(utf16_text(text), StringFormat::Hexadecimal)
}

fn pdf_date(at: OffsetDateTime) -> Object {
    let at = at.to_offset(time::UtcOffset::UTC);
    Object::string_literal(format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The integer after `key` in a dictionary's text (`/Size 25` → 25).
fn integer_after(dict: &[u8], key: &[u8]) -> Option<usize> {
    let start = find(dict, key)? + key.len();
    let digits: Vec<u8> =
        dict[start..].iter().skip_while(|b| **b == b' ').take_while(|b| b.is_ascii_digit()).copied().collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn hex_string(bytes: &[u8]) -> String {
    format!("<{}>", bytes.iter().map(|b| format!("{b:02X}")).collect::<String>())
}

/// A PDF text string as written in a dictionary's text.
fn hex_text(text: &str) -> String {
    hex_string(&utf16_text(text))
}

fn date_literal(at: OffsetDateTime) -> String {
    match pdf_date(at) {
        Object::String(bytes, _) => format!("({})", String::from_utf8_lossy(&bytes)),
        _ => String::new(),
    }
}

/// [`finish`] without re-parsing: printpdf's objects are copied as they are, found through its
/// cross-reference stream, except that the streams are compressed (printpdf, built with `less-optimization`,
/// leaves them raw: its own pass compressed at zlib's level 9, 15 % of a certificate's CPU time, for 4 % of
/// the file), the catalog gains `/Names` and `/AF`, and the document information is
/// replaced. Then come the embedded credential, its file specification, and a new cross-reference stream
/// with a content-derived identifier. `None` when the file is not shaped as expected.
pub(super) fn rewrite(drawn: &[u8], credential: &[u8], meta: &Metadata<'_>, digest: &[u8]) -> Option<Vec<u8>> {
    // printpdf's cross-reference stream: where every object starts.
    let startxref = drawn.windows(9).rposition(|w| w == b"startxref")?;
    let xref_at: usize = std::str::from_utf8(&drawn[startxref + 9..]).ok()?.split_whitespace().next()?.parse().ok()?;
    let dict_start = xref_at + find(drawn.get(xref_at..)?, b"<<")?;
    let dict_end = dict_start + find(&drawn[dict_start..], b">>stream")? + 2;
    let xref_dict = &drawn[dict_start..dict_end];
    if find(xref_dict, b"/Type/XRef").is_none()
        || find(xref_dict, b"/W[1 4 2]").is_none()
        || find(xref_dict, b"/Filter").is_some()
    {
        return None;
    }
    let (root, info, size) =
        (integer_after(xref_dict, b"/Root")?, integer_after(xref_dict, b"/Info")?, integer_after(xref_dict, b"/Size")?);
    let first = integer_after(xref_dict, b"/Index[")?;
    let count = integer_after(xref_dict, format!("/Index[{first} ").as_bytes())?;
    let data = drawn.get(dict_end + "stream\n".len()..)?.get(..count * 7)?;
    let mut objects: Vec<(usize, usize)> = Vec::with_capacity(count);
    for (i, entry) in data.chunks(7).enumerate() {
        match entry[0] {
            1 => objects.push((u32::from_be_bytes([entry[1], entry[2], entry[3], entry[4]]) as usize, first + i)),
            0 => {}
            _ => return None,
        }
    }
    objects.sort_unstable();
    let xref_id = objects.iter().find(|(at, _)| *at == xref_at).map(|(_, id)| *id)?;

    let header_end = objects.first()?.0;
    let mut out = Vec::with_capacity(drawn.len());
    out.extend_from_slice(drawn.get(..header_end)?);
    let mut offsets: Vec<(usize, usize)> = Vec::with_capacity(objects.len() + 2);
    let (file, spec) = (size, size + 1);
    for (i, &(at, id)) in objects.iter().enumerate() {
        if id == xref_id {
            continue;
        }
        let end = objects.get(i + 1).map_or(xref_at, |next| next.0);
        let object = drawn.get(at..end)?;
        let head = format!("{id} 0 obj\n");
        let body = object.strip_prefix(head.as_bytes())?;
        offsets.push((id, out.len()));
        out.extend_from_slice(head.as_bytes());
        if id == root {
            let catalog = &body[..find(body, b"\nendobj")?];
            if !catalog.starts_with(b"<<") || find(catalog, b"/Names").is_some() {
                return None;
            }
            out.extend_from_slice(
                format!("<</Names<</EmbeddedFiles<</Names[({ATTACHMENT_NAME}) {spec} 0 R]>>>>/AF[{spec} 0 R]")
                    .as_bytes(),
            );
            out.extend_from_slice(&catalog[2..]);
            out.extend_from_slice(b"\nendobj\n");
        } else if id == info {
            out.extend_from_slice(info_dict(meta).as_bytes());
            out.extend_from_slice(b"\nendobj\n");
        } else if let Some(dict_len) = find(body, b">>stream\n").filter(|_| body.starts_with(b"<<")) {
            // A stream printpdf left raw (all of them: it is built with `less-optimization`): compress it.
            let dict = &body[..dict_len + 2];
            let length = integer_after(dict, b"/Length ")?;
            if find(dict, b"/Filter").is_some() {
                return None;
            }
            let raw = body.get(dict_len + 9..dict_len + 9 + length)?;
            if !body[dict_len + 9 + length..].starts_with(b"\nendstream") {
                return None;
            }
            let packed = deflate(raw)?;
            let old = format!("/Length {length}");
            let dict = std::str::from_utf8(dict).ok()?.replacen(
                &old,
                &format!("/Filter/FlateDecode/Length {}", packed.len()),
                1,
            );
            out.extend_from_slice(dict.as_bytes());
            out.extend_from_slice(b"stream\n");
            out.extend_from_slice(&packed);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        } else {
            out.extend_from_slice(body);
            if !body.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
    }

    let packed = deflate(credential)?;
    offsets.push((file, out.len()));
    out.extend_from_slice(
        format!(
            "{file} 0 obj\n<</Type/EmbeddedFile/Subtype/application#2Fvc+ld+json/Filter/FlateDecode/Params<</Size {}/ModDate{}>>/Length {}>>stream\n",
            credential.len(),
            date_literal(meta.created),
            packed.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&packed);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    offsets.push((spec, out.len()));
    out.extend_from_slice(
        format!(
            "{spec} 0 obj\n<</Type/Filespec/F({ATTACHMENT_NAME})/UF{}/Desc{}/AFRelationship/Source/EF<</F {file} 0 R/UF {file} 0 R>>>>\nendobj\n",
            hex_text(ATTACHMENT_NAME),
            hex_text("The signed credential (W3C Verifiable Credential, Open Badges 3.0)")
        )
        .as_bytes(),
    );

    // The cross-reference stream: every object, itself included, by number.
    let xref = size + 2;
    let xref_offset = out.len();
    offsets.push((xref, xref_offset));
    offsets.sort_unstable();
    let mut entries = vec![0u8, 0, 0, 0, 0, 0xFF, 0xFF];
    let mut next = 1;
    for (id, at) in &offsets {
        while next < *id {
            entries.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0]);
            next += 1;
        }
        entries.push(1);
        entries.extend_from_slice(&u32::try_from(*at).ok()?.to_be_bytes());
        entries.extend_from_slice(&[0, 0]);
        next += 1;
    }
    let id = hex_string(&digest[..16]);
    out.extend_from_slice(
        format!(
            "{xref} 0 obj\n<</Type/XRef/Size {next}/Root {root} 0 R/Info {info} 0 R/ID[{id}{id}]/W[1 4 2]/Index[0 {next}]/Length {}>>stream\n",
            entries.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&entries);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes());
    Some(out)
}

/// `bytes` compressed as a zlib stream (`/FlateDecode`) at the fast level, the same bytes for the same input.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    thread_local! {
        // One compressor per thread, reset for each stream. A new one allocates about 300 KB of zeroed
        // tables, and jemalloc zeroes reused memory by handing the pages back to the kernel (madvise): a
        // TLB shootdown on every core for each of a certificate's streams, a third of the CPU time of
        // PDFs over HTTP (BENCHMARKS.md, "Issue 20, session 18").
        static DEFLATER: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), true));
    }
    DEFLATER.with_borrow_mut(|deflater| {
        deflater.reset();
        let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
        loop {
            let read = usize::try_from(deflater.total_in()).ok()?;
            let status = deflater.compress_vec(&bytes[read..], &mut out, flate2::FlushCompress::Finish).ok()?;
            if status == flate2::Status::StreamEnd {
                return Some(out);
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

/// The document information dictionary (text strings in UTF-16BE).
fn info_dict(meta: &Metadata<'_>) -> String {
    let mut dict = String::from("<<");
    for (key, text) in meta.texts() {
        dict.push_str(&format!("/{key}{}", hex_text(text)));
    }
    let date = date_literal(meta.created);
    dict.push_str(&format!("/CreationDate{date}/ModDate{date}>>"));
    dict
}

/// Names the Type 3 fonts in the first page's `/Font` resources (printpdf shares one font dictionary
/// between pages, as an indirect object).
fn add_type3_fonts(doc: &mut lopdf::Document, type3: &Type3Fonts) -> Result<(), PdfError> {
    let page = doc.get_pages().into_values().next().ok_or(lopdf::Error::PageNumberNotFound(1))?;
    let resources = doc.get_dictionary(page)?.get(b"Resources")?.as_reference()?;
    let fonts_id = doc.get_dictionary(resources)?.get(b"Font")?.as_reference()?;
    let mut fonts = doc.get_dictionary(fonts_id)?.clone();
    type3.add_to(doc, &mut fonts);
    doc.objects.insert(fonts_id, Object::Dictionary(fonts));
    Ok(())
}

/// Embeds the credential (`/EmbeddedFiles` and the catalog's `/AF`, relationship `Source`), writes the
/// document information and a content-derived file identifier, and compresses every stream.
pub(super) fn finish(
    drawn: &[u8],
    credential: &[u8],
    meta: &Metadata<'_>,
    digest: &[u8],
    type3: Option<&Type3Fonts>,
) -> Result<Vec<u8>, PdfError> {
    let mut doc = lopdf::Document::load_mem(drawn)?;
    if let Some(type3) = type3 {
        add_type3_fonts(&mut doc, type3)?;
    }
    let mut params = Dictionary::new();
    params.set("Size", Object::Integer(i64::try_from(credential.len()).unwrap_or(i64::MAX)));
    params.set("ModDate", pdf_date(meta.created));
    let mut file_dict = Dictionary::new();
    file_dict.set("Type", Object::Name(b"EmbeddedFile".to_vec()));
    file_dict.set("Subtype", Object::Name(ATTACHMENT_MIME.as_bytes().to_vec()));
    file_dict.set("Params", Object::Dictionary(params));
    let file = doc.add_object(Stream::new(file_dict, credential.to_vec()));
    let mut ef = Dictionary::new();
    ef.set("F", Object::Reference(file));
    ef.set("UF", Object::Reference(file));
    let mut spec = Dictionary::new();
    spec.set("Type", Object::Name(b"Filespec".to_vec()));
    spec.set("F", Object::string_literal(ATTACHMENT_NAME));
    spec.set("UF", text_string(ATTACHMENT_NAME));
    spec.set("Desc", text_string("The signed credential (W3C Verifiable Credential, Open Badges 3.0)"));
    spec.set("AFRelationship", Object::Name(b"Source".to_vec()));
    spec.set("EF", Object::Dictionary(ef));
    let spec = doc.add_object(spec);
    let mut embedded = Dictionary::new();
    embedded.set("Names", Object::Array(vec![Object::string_literal(ATTACHMENT_NAME), Object::Reference(spec)]));
    let mut names = Dictionary::new();
    names.set("EmbeddedFiles", Object::Dictionary(embedded));
    let catalog = doc.catalog_mut()?;
    catalog.set("Names", Object::Dictionary(names));
    catalog.set("AF", Object::Array(vec![Object::Reference(spec)]));

    let mut info = Dictionary::new();
    for (key, text) in meta.texts() {
        info.set(key, text_string(text));
    }
    info.set("CreationDate", pdf_date(meta.created));
    info.set("ModDate", pdf_date(meta.created));
    let info = doc.add_object(info);
    doc.trailer.set("Info", Object::Reference(info));
    let id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    // What printpdf's optimisation did before `less-optimization` turned it off.
    doc.delete_zero_length_streams();
    doc.prune_objects();
    doc.renumber_objects();
    doc.compress();
    let mut bytes = Vec::with_capacity(drawn.len() / 2);
    doc.save_to(&mut bytes).map_err(|e| PdfError::Finish(e.into()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::deflate;

    /// The same bytes as flate2's own encoder at the same level (so certificates and their `ETag`s are
    /// unchanged), for empty, small, incompressible and large inputs, again and again on one thread.
    #[test]
    fn the_reused_compressor_gives_the_encoders_bytes() {
        let mut noise = Vec::new();
        let mut x: u32 = 2_463_534_242;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        let text = "Умни градове: основи — Έξυπνες πόλεις — Ciudades inteligentes. ".repeat(4_000).into_bytes();
        let inputs: [&[u8]; 5] = [b"", b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET", &noise, &text, &noise[..1_000]];
        for _round in 0..3 {
            for input in inputs {
                let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut encoder, input).unwrap();
                let expected = encoder.finish().unwrap();
                let packed = deflate(input).unwrap();
                assert_eq!(packed, expected, "{} bytes in", input.len());
                let mut unpacked = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&packed[..]), &mut unpacked).unwrap();
                assert_eq!(unpacked, input);
            }
        }
    }
}
