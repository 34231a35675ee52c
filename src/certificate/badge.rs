//! The Open Badges 3.0 baked badges: a PNG image that carries the signed credential in one uncompressed
//! `iTXt` chunk with the keyword `openbadgecredential`, and an SVG image that carries it in an
//! `<openbadges:credential>` element right after the `<svg>` tag, wrapped in CDATA
//! (<https://www.imsglobal.org/spec/ob/v3p0/#baking>). The image is the achievement's own when it has one
//! in that format (uploaded to microcred, or embedded as a `data:` URL; remote images are never fetched),
//! otherwise a generated seal.

use std::io::Cursor;

/// The `iTXt` keyword Open Badges 3.0 bakes credentials under.
pub const KEYWORD: &str = "openbadgecredential";
/// Side of the generated badge, in pixels.
const SIDE: u32 = 256;
/// Largest image decoded when reading a badge (bytes of pixel data).
const DECODE_LIMIT: usize = 64 * 1024 * 1024;

/// Why a badge could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    /// Not a PNG the decoder accepts.
    #[error("not a readable PNG: {0}")]
    Unreadable(String),
    /// A PNG without a baked credential.
    #[error("the PNG has no {KEYWORD} iTXt chunk")]
    NoCredential,
    /// An SVG without a baked credential.
    #[error("the SVG has no <openbadges:credential> element: it is not a baked badge")]
    NoSvgCredential,
    /// Writing failed.
    #[error("could not write the PNG: {0}")]
    Encode(String),
}

/// The PNG badge for a credential: `image` (the achievement's PNG image) when given and readable, else the
/// generated seal, with `credential` baked in.
pub fn bake(image: Option<&[u8]>, credential: &str) -> Result<Vec<u8>, BadgeError> {
    let embedded = image.and_then(|png| decode(png).ok());
    let (width, height, rgba) = match &embedded {
        Some((w, h, pixels, _)) => (*w, *h, pixels.as_slice()),
        None => (SIDE, SIDE, seal()),
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_itxt_chunk(KEYWORD.into(), credential.into()).map_err(|e| BadgeError::Encode(e.to_string()))?;
    let mut writer = encoder.write_header().map_err(|e| BadgeError::Encode(e.to_string()))?;
    writer.write_image_data(rgba).map_err(|e| BadgeError::Encode(e.to_string()))?;
    writer.finish().map_err(|e| BadgeError::Encode(e.to_string()))?;
    Ok(out)
}

/// The OB 3.0 namespace of the baked credential's element.
const SVG_NAMESPACE: &str = crate::domain::image::OPEN_BADGES_NAMESPACE;

/// The SVG badge for a credential: `image` (the achievement's SVG image, already checked) when given, else
/// the generated seal, with `credential` baked in: `xmlns:openbadges` added to the `<svg>` tag and the
/// credential, in CDATA, in an `<openbadges:credential>` element directly after it.
///
/// See: <https://www.imsglobal.org/spec/ob/v3p0/#svg-baking>
pub fn bake_svg(image: Option<&str>, credential: &str) -> Result<Vec<u8>, BadgeError> {
    let generated;
    let svg = match image {
        Some(svg) => svg.strip_prefix('\u{feff}').unwrap_or(svg),
        None => {
            generated = seal_svg();
            &generated
        }
    };
    let document = roxmltree::Document::parse(svg).map_err(|e| BadgeError::Encode(format!("not an SVG: {e}")))?;
    let root = document.root_element();
    // The end of the `<svg …>` start tag: the first `>` outside quoted attribute values (namespace
    // declarations included, which roxmltree does not list as attributes).
    let close = crate::domain::image::tag_end(svg.as_bytes(), root.range().start);
    if close >= svg.len() {
        return Err(BadgeError::Encode("no end to the <svg> tag".into()));
    }
    let self_closing = svg[..close].ends_with('/');
    let tag_end = if self_closing { close - 1 } else { close };
    // CDATA cannot hold "]]>": split it across two sections (JSON text may contain it in a string).
    let cdata = credential.replace("]]>", "]]]]><![CDATA[>");
    let declared = root.namespaces().any(|ns| ns.name() == Some("openbadges") && ns.uri() == SVG_NAMESPACE);
    let mut out = String::with_capacity(svg.len() + credential.len() + 160);
    out.push_str(&svg[..tag_end]);
    if !declared {
        out.push_str(&format!(" xmlns:openbadges=\"{SVG_NAMESPACE}\""));
    }
    out.push('>');
    out.push_str(&format!("\n<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"));
    if self_closing {
        out.push_str("</svg>");
        out.push_str(&svg[close + 1..]);
    } else {
        out.push_str(&svg[close + 1..]);
    }
    Ok(out.into_bytes())
}

/// The credential baked into an SVG: the text of the first `<openbadges:credential>` element, or its
/// `verify` attribute (a VC-JWT).
pub fn extract_svg(svg: &[u8]) -> Result<String, BadgeError> {
    let text = std::str::from_utf8(svg).map_err(|_| BadgeError::Unreadable("the SVG is not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Parsers recurse per level: a hostile file nested thousands deep is refused before parsing.
    if crate::domain::image::xml_depth(text) > 4 * crate::domain::image::MAX_SVG_DEPTH {
        return Err(BadgeError::Unreadable("the SVG nests elements too deeply".into()));
    }
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 500_000 };
    let document = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| BadgeError::Unreadable(format!("not a readable SVG: {e}")))?;
    let element = document
        .descendants()
        .find(|n| {
            n.is_element() && n.tag_name().name() == "credential" && n.tag_name().namespace() == Some(SVG_NAMESPACE)
        })
        .ok_or(BadgeError::NoSvgCredential)?;
    if let Some(jwt) = element.attribute("verify").filter(|v| !v.trim().is_empty()) {
        return Ok(jwt.trim().to_owned());
    }
    let body: String = element.children().filter_map(|n| n.text()).collect();
    Ok(body.trim().to_owned())
}

/// The generated seal as an SVG (the PNG seal's design): a navy disc, a gold ring, a white check mark.
fn seal_svg() -> String {
    concat!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256" width="256" height="256">"##,
        r##"<circle cx="128" cy="128" r="123" fill="#1f3a5f"/>"##,
        r##"<circle cx="128" cy="128" r="107.5" fill="none" stroke="#c9a66b" stroke-width="12.8"/>"##,
        r##"<path d="M76.8 133.1 L112.6 169 L181.8 97.3" fill="none" stroke="#fff" stroke-width="23" "##,
        r##"stroke-linecap="round" stroke-linejoin="round"/></svg>"##
    )
    .to_owned()
}

/// The credential baked into a PNG (the first `openbadgecredential` iTXt chunk, compressed or not).
pub fn extract(png: &[u8]) -> Result<String, BadgeError> {
    let (_, _, _, text) = decode(png)?;
    text.ok_or(BadgeError::NoCredential)
}

/// Width, height and RGBA pixels of a PNG (any colour type).
pub(crate) fn rgba(png: &[u8]) -> Result<(u32, u32, Vec<u8>), BadgeError> {
    decode(png).map(|(w, h, pixels, _)| (w, h, pixels))
}

/// Width, height, RGBA pixels, and the baked credential if any (text chunks after the image included).
fn decode(png: &[u8]) -> Result<(u32, u32, Vec<u8>, Option<String>), BadgeError> {
    let bad = |e: png::DecodingError| BadgeError::Unreadable(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(png), png::Limits { bytes: DECODE_LIMIT });
    decoder.set_transformations(
        png::Transformations::EXPAND | png::Transformations::ALPHA | png::Transformations::STRIP_16,
    );
    let mut reader = decoder.read_info().map_err(bad)?;
    // The decoder's limit covers its own buffers, not the frame we allocate: check that too (a fuzzed header
    // claiming 4 × 4,294,901,764 pixels once asked for 64 GB here).
    let size = reader
        .output_buffer_size()
        .filter(|size| *size <= DECODE_LIMIT)
        .ok_or_else(|| BadgeError::Unreadable("image too large".into()))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(bad)?;
    reader.finish().map_err(bad)?;
    buffer.truncate(frame.buffer_size());
    let rgba = match frame.color_type {
        png::ColorType::Rgba => buffer,
        png::ColorType::GrayscaleAlpha => buffer.chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        other => return Err(BadgeError::Unreadable(format!("unexpected colour type {other:?}"))),
    };
    let text = reader
        .info()
        .utf8_text
        .iter()
        .find(|chunk| chunk.keyword == KEYWORD)
        .map(|chunk| chunk.get_text().map_err(bad))
        .transpose()?;
    Ok((frame.width, frame.height, rgba, text))
}

/// The generated seal's pixels (RGBA), drawn once: they are the same for every badge, and drawing them was
/// about a third of baking one.
fn seal() -> &'static [u8] {
    static SEAL: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(draw_seal);
    &SEAL
}

/// A navy seal with a gold ring and a white check mark, anti-aliased, on a transparent background.
fn draw_seal() -> Vec<u8> {
    let side = SIDE as f32;
    let centre = side / 2.0;
    let (navy, gold, white) = ([31.0, 58.0, 95.0], [201.0, 166.0, 107.0], [255.0, 255.0, 255.0]);
    // The check mark: two segments, as in the certificate's seal.
    let check = [(0.30, 0.52), (0.44, 0.66), (0.71, 0.38)].map(|(x, y)| (x * side, y * side));
    let mut pixels = Vec::with_capacity((SIDE * SIDE * 4) as usize);
    for py in 0..SIDE {
        for px in 0..SIDE {
            let (x, y) = (px as f32 + 0.5, py as f32 + 0.5);
            let r = ((x - centre).powi(2) + (y - centre).powi(2)).sqrt();
            // Coverage of a shape from its signed distance (one pixel of anti-aliasing).
            let cover = |distance: f32| (0.5 - distance).clamp(0.0, 1.0);
            let disc = cover(r - centre * 0.96);
            let ring = cover((r - centre * 0.84).abs() - side * 0.025);
            let mark = cover(segment(x, y, check[0], check[1]).min(segment(x, y, check[1], check[2])) - side * 0.045);
            let mut rgb = navy;
            for (color, amount) in [(gold, ring), (white, mark)] {
                rgb = [0, 1, 2].map(|i| rgb[i] * (1.0 - amount) + color[i] * amount);
            }
            pixels.extend(rgb.map(|c| c.round() as u8));
            pixels.push((disc * 255.0).round() as u8);
        }
    }
    pixels
}

/// Distance from `(x, y)` to the segment `a`–`b`.
fn segment(x: f32, y: f32, a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = (((x - a.0) * dx + (y - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    ((x - a.0 - t * dx).powi(2) + (y - a.1 - t * dy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn a_baked_badge_gives_back_the_credential_uncompressed_and_once() {
        let credential = r#"{"id":"https://example.eu/credentials/1","name":"Иван Петров — Γιώργος"}"#;
        let png = bake(None, credential).unwrap();
        assert_eq!(extract(&png).unwrap(), credential);
        // Uncompressed: the JSON appears verbatim in the file, exactly once.
        let haystack = String::from_utf8_lossy(&png);
        assert_eq!(haystack.matches("openbadgecredential").count(), 1);
        assert!(png.windows(credential.len()).any(|w| w == credential.as_bytes()));
        // Re-baking a PNG keeps its pixels and replaces the credential.
        let again = bake(Some(&png), "{}").unwrap();
        assert_eq!(extract(&again).unwrap(), "{}");
        assert_eq!(decode(&again).unwrap().2, decode(&png).unwrap().2);
        assert!(matches!(extract(b"\x89PNG\r\n\x1a\nnot really"), Err(BadgeError::Unreadable(_))));
        // Found by fuzzing: a header announcing billions of pixels is refused, not allocated.
        let huge = base64::engine::general_purpose::STANDARD
            .decode(
                "iVBORw0KGgoAAAANSUhEUgAAAAT8/wAECAYAAACp8Z5+AAAAEklEQVR4nGOQt4r/j4wZSBcAAI8pG3GcrUsoAAAAAElFTq5gREKC",
            )
            .unwrap();
        assert!(matches!(extract(&huge), Err(BadgeError::Unreadable(_))));
    }

    #[test]
    fn a_baked_svg_gives_back_the_credential_and_stays_the_same_picture() {
        // A credential whose text holds "]]>", which must not end the CDATA section early.
        let credential = r#"{"id":"https://example.eu/credentials/1","name":"Иван ]]> Γιώργος & <Co>"}"#;
        let badge = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><circle cx="256" cy="256" r="200" fill="#1f3a5f"/></svg>"##;
        let baked = String::from_utf8(bake_svg(Some(badge), credential).unwrap()).unwrap();
        assert_eq!(extract_svg(baked.as_bytes()).unwrap(), credential);
        assert!(
            baked.contains(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">"#),
            "{baked}"
        );
        assert!(baked.contains("\n<openbadges:credential><![CDATA[{"), "directly after the <svg> tag: {baked}");
        assert_eq!(baked.matches("<openbadges:credential>").count(), 1);
        // Still a well-formed SVG with the same drawing, and acceptable as an image again minus the credential.
        let document = roxmltree::Document::parse(&baked).unwrap();
        assert!(document.descendants().any(|n| n.tag_name().name() == "circle"));
        // The generated seal, and a self-closing <svg/> with attributes holding '>'.
        let seal = bake_svg(None, credential).unwrap();
        assert_eq!(extract_svg(&seal).unwrap(), credential);
        assert!(crate::domain::image::check(seal_svg().into_bytes()).is_ok(), "the seal is a valid image");
        let odd = r#"<svg xmlns="http://www.w3.org/2000/svg" aria-label="a > b" viewBox="0 0 1 1"/>"#;
        let baked = bake_svg(Some(odd), "{}").unwrap();
        assert_eq!(extract_svg(&baked).unwrap(), "{}");
        roxmltree::Document::parse(std::str::from_utf8(&baked).unwrap()).unwrap();
        // A VC-JWT baked by another issuer is read from `verify`.
        let jwt = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="a.b.c"/></svg>"#;
        assert_eq!(extract_svg(jwt.as_bytes()).unwrap(), "a.b.c");
        assert!(matches!(extract_svg(badge.as_bytes()), Err(BadgeError::NoSvgCredential)));
        // Found by review: a namespace declaration holding '>' after the last attribute.
        let tricky = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" xmlns:x="urn:a/>b"><rect/></svg>"#;
        let baked = String::from_utf8(bake_svg(Some(tricky), "{}").unwrap()).unwrap();
        roxmltree::Document::parse(&baked).unwrap();
        assert_eq!(extract_svg(baked.as_bytes()).unwrap(), "{}");
        // Found by trying: thousands of nested elements were a stack overflow; now a refusal.
        let deep =
            format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{}{}</svg>"#, "<g>".repeat(5000), "</g>".repeat(5000));
        assert!(matches!(extract_svg(deep.as_bytes()), Err(BadgeError::Unreadable(_))));
    }
}
