//! Images issuers upload: an achievement's badge image and an issuer's logo, PNG or SVG.
//!
//! An image is checked once, when it arrives, and refused with a reason a person can act on: too large, not a
//! PNG or SVG, a PNG too small or too large to show, or an SVG that could run code or reach outside itself
//! (scripts, event handlers, `javascript:` links, foreign objects, references to other files or hosts, a
//! DTD). We refuse rather than rewrite: a sanitised copy would differ from what the issuer designed, and
//! the reason tells them what to remove. Accepted images are stored by the SHA-256 of their bytes and served
//! from our own origin, so a credential that names an image names exactly those bytes.
//!
//! See: <https://www.imsglobal.org/spec/ob/v3p0/#image>

use std::io::Cursor;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Largest image accepted, in bytes: a badge or a logo, not a photograph.
pub const MAX_IMAGE_BYTES: usize = 512 * 1024;
/// Smallest side of a PNG, in pixels: anything smaller is unreadable on a page.
pub const MIN_SIDE: u32 = 32;
/// Largest side of a PNG, in pixels.
pub const MAX_SIDE: u32 = 2048;

/// The image formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// `image/png`.
    Png,
    /// `image/svg+xml`.
    Svg,
}

impl ImageType {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }

    /// The type of a media type or an extension (`image/png`, `png`, `image/svg+xml`, `svg`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "image/png" | "png" => Some(Self::Png),
            "image/svg+xml" | "svg" => Some(Self::Svg),
            _ => None,
        }
    }
}

/// A checked image, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Its format.
    pub kind: ImageType,
    /// The bytes, as uploaded.
    pub content: Vec<u8>,
    /// Lower-case hexadecimal SHA-256 of `content`: its name.
    pub digest: String,
}

impl Image {
    /// `<digest>.<extension>`: the file name it is served under.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.digest, self.kind.extension())
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImageError(pub String);

fn refuse(reason: impl Into<String>) -> ImageError {
    ImageError(reason.into())
}

/// Checks uploaded bytes: a PNG or an SVG (told by their content, not by a name), at most
/// [`MAX_IMAGE_BYTES`], a PNG from [`MIN_SIDE`] to [`MAX_SIDE`] pixels a side and fully decodable, an SVG
/// that is well-formed, sized, and safe to show (see the module documentation).
pub fn check(content: Vec<u8>) -> Result<Image, ImageError> {
    if content.is_empty() {
        return Err(refuse("the image is empty"));
    }
    if content.len() > MAX_IMAGE_BYTES {
        return Err(refuse(format!(
            "the image is {} KiB; at most {} KiB is accepted (export a badge at 512 × 512 pixels, or optimise the SVG)",
            content.len().div_ceil(1024),
            MAX_IMAGE_BYTES / 1024
        )));
    }
    let kind = if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        check_png(&content)?;
        ImageType::Png
    } else if looks_like_svg(&content) {
        check_svg(&content)?;
        ImageType::Svg
    } else {
        return Err(refuse("the image is neither a PNG nor an SVG file (JPEG, GIF and WebP are not accepted)"));
    };
    let digest = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
    Ok(Image { kind, content, digest })
}

/// Decodes a `data:` URL holding an image (`data:image/png;base64,…`, `data:image/svg+xml;base64,…` or
/// `data:image/svg+xml,<percent-encoded SVG>`) and checks it as [`check`] does.
///
/// See: <https://www.rfc-editor.org/rfc/rfc2397>
pub fn from_data_url(url: &str) -> Result<Image, ImageError> {
    let rest = url.strip_prefix("data:").ok_or_else(|| refuse("not a data: URL"))?;
    let (header, data) = rest.split_once(',').ok_or_else(|| refuse("a data: URL needs a comma before its data"))?;
    let mut parts = header.split(';');
    let media_type = parts.next().unwrap_or_default();
    if ImageType::parse(media_type).is_none() {
        return Err(refuse(format!("a data: URL of {media_type:?}; only image/png and image/svg+xml are accepted")));
    }
    let base64 = parts.any(|p| p.eq_ignore_ascii_case("base64"));
    let content = if base64 {
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| refuse(format!("the data: URL's base64 is not valid: {e}")))?
    } else {
        percent_encoding::percent_decode_str(data).collect()
    };
    check(content)
}

fn check_png(content: &[u8]) -> Result<(), ImageError> {
    let unreadable = |e: png::DecodingError| refuse(format!("the PNG cannot be read: {e}"));
    let decoder = png::Decoder::new_with_limits(Cursor::new(content), png::Limits { bytes: 64 * 1024 * 1024 });
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width < MIN_SIDE || height < MIN_SIDE || width > MAX_SIDE || height > MAX_SIDE {
        return Err(refuse(format!(
            "the PNG is {width} × {height} pixels; each side must be from {MIN_SIDE} to {MAX_SIDE} pixels"
        )));
    }
    // Decode every pixel once: a truncated or corrupt file is refused now, not when a badge is baked.
    let size = reader.output_buffer_size().ok_or_else(|| refuse("the PNG is too large to decode"))?;
    let mut buffer = vec![0; size];
    reader.next_frame(&mut buffer).map_err(unreadable)?;
    Ok(())
}

/// Whether the bytes look like an SVG document: markup from the start (after an optional BOM and
/// whitespace) with an `<svg` element early on (after any XML declaration and comments). A JSON credential
/// starts with `{`, so the two are never confused.
pub fn looks_like_svg(content: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&content[..content.len().min(4096)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('<') && head.contains("<svg")
}

/// The index of the `>` that ends the tag starting at `from` (a `<`), outside quoted attribute values;
/// `bytes.len()` if there is none.
pub fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    let mut at = from + 1;
    while at < bytes.len() {
        match (quote, bytes[at]) {
            (None, b'"' | b'\'') => quote = Some(bytes[at]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return at,
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

/// Elements that run code or embed other documents.
const FORBIDDEN_ELEMENTS: [&str; 10] =
    ["script", "foreignobject", "iframe", "embed", "object", "audio", "video", "canvas", "handler", "listener"];

/// The OB 3.0 namespace of a baked credential.
pub const OPEN_BADGES_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";

/// Deepest element nesting accepted in an SVG: XML parsers recurse per level, and real badges nest a handful.
pub const MAX_SVG_DEPTH: usize = 64;

/// The namespaces an SVG's elements and attributes may use: SVG itself, XLink (`xlink:href`) and XML
/// (`xml:space`, `xml:lang`). Anything else (XHTML, XSLT, …) could be interpreted by a browser opening the file.
const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
const XLINK_NAMESPACE: &str = "http://www.w3.org/1999/xlink";
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

fn check_svg(content: &[u8]) -> Result<(), ImageError> {
    let text = std::str::from_utf8(content).map_err(|_| refuse("the SVG is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(encoding) = declared_encoding(text).filter(|e| !e.eq_ignore_ascii_case("utf-8")) {
        return Err(refuse(format!("the SVG declares the encoding {encoding:?}; save it as UTF-8")));
    }
    if xml_depth(text) > MAX_SVG_DEPTH {
        return Err(refuse(format!("the SVG nests elements more than {MAX_SVG_DEPTH} levels deep")));
    }
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 200_000 };
    let document = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => refuse("the SVG has a DOCTYPE (DTD); remove it (SVG 2 needs none)"),
        e => refuse(format!("the SVG is not well-formed XML: {e}")),
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NAMESPACE) {
        return Err(refuse(
            "the file's root element is not <svg> in the SVG namespace (xmlns=\"http://www.w3.org/2000/svg\")",
        ));
    }
    svg_size(&root)?;
    for node in document.descendants() {
        if node.is_pi() {
            return Err(refuse("the SVG has a processing instruction (such as <?xml-stylesheet?>); remove it"));
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name();
        if node.namespaces().any(|ns| ns.name() == Some("openbadges") && ns.uri() != OPEN_BADGES_NAMESPACE) {
            return Err(refuse("the SVG binds the prefix openbadges to another namespace; rename it"));
        }
        if node.tag_name().namespace() == Some(OPEN_BADGES_NAMESPACE) {
            return Err(refuse("the SVG already carries a baked credential; upload the plain image"));
        }
        if node.tag_name().namespace() != Some(SVG_NAMESPACE) {
            return Err(refuse(format!(
                "the SVG contains a <{name}> element outside the SVG namespace ({}), which a browser could run; remove it",
                node.tag_name().namespace().unwrap_or("none")
            )));
        }
        let lower = name.to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&lower.as_str()) {
            return Err(refuse(format!("the SVG contains a <{name}> element, which could run code; remove it")));
        }
        if lower.starts_with("animate") || lower == "set" {
            let target = node.attribute("attributeName").unwrap_or_default().to_ascii_lowercase();
            if target.ends_with("href") || target.starts_with("on") {
                return Err(refuse(format!("the SVG animates a link ({target}) in <{name}>; remove it")));
            }
        }
        if lower == "style" {
            // Only text: a comment or an element inside would be read differently by us and by a browser.
            if node.children().any(|c| !c.is_text()) {
                return Err(refuse("a <style> element of the SVG holds comments or elements; keep only CSS text"));
            }
            let css: String = node.children().filter_map(|n| n.text()).collect();
            check_css(&css, "a <style> element")?;
        }
        for attribute in node.attributes() {
            let key = attribute.name().to_ascii_lowercase();
            let value = attribute.value();
            if !matches!(attribute.namespace(), None | Some(XLINK_NAMESPACE | XML_NAMESPACE)) {
                return Err(refuse(format!(
                    "the SVG has an attribute {} on <{name}> in another namespace ({}); remove it",
                    attribute.name(),
                    attribute.namespace().unwrap_or_default()
                )));
            }
            let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            if key.starts_with("on") {
                return Err(refuse(format!(
                    "the SVG has an event handler ({} on <{name}>), which could run code; remove it",
                    attribute.name()
                )));
            }
            if compact.contains("javascript:") || compact.contains("vbscript:") {
                return Err(refuse(format!(
                    "the SVG has a script link in {} on <{name}>; remove it",
                    attribute.name()
                )));
            }
            if key == "href" && !value.starts_with('#') && !is_embedded_raster(value) {
                return Err(refuse(format!(
                    "the SVG refers to another file or site ({} = {value:?} on <{name}>); embed it or remove it",
                    attribute.name()
                )));
            }
            // Presentation attributes (fill, filter, mask, cursor, marker-*…) and style take url() too.
            if key == "style" || compact.contains("url(") || compact.contains("image-set(") {
                check_css(value, &format!("{} of <{name}>", attribute.name()))?;
            }
        }
    }
    Ok(())
}

/// The `encoding` of an XML declaration at the start of `text`, if it names one.
fn declared_encoding(text: &str) -> Option<&str> {
    let declaration = text.trim_start().strip_prefix("<?xml")?;
    let declaration = &declaration[..declaration.find("?>")?];
    let rest = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// How deeply the elements of an XML text nest, read without parsing it (comments, CDATA sections,
/// processing instructions and quoted attribute values skipped), so that a hostile file is refused before a
/// recursive parser sees it.
pub fn xml_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| {
        bytes[from..].windows(end.len()).position(|w| w == end).map_or(bytes.len(), |at| from + at + end.len())
    };
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i, b"?>");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i, b">");
        } else if rest.starts_with(b"<!") {
            i = skip_to(i, b">");
        } else {
            // A start tag: to its end, outside quoted values; self-closing ones do not nest.
            let j = tag_end(bytes, i);
            if bytes.get(j.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                deepest = deepest.max(depth);
            }
            i = j + 1;
        }
    }
    deepest
}

/// A raster image embedded in the SVG itself (`data:image/png;base64,…`, JPEG alike).
fn is_embedded_raster(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    lower.starts_with("data:image/png") || lower.starts_with("data:image/jpeg")
}

/// CSS inside an SVG may not load anything (`@import`, `url(` other than `url(#…)`, `image-set(`, `src(`)
/// nor script, nor use escapes (`u\72l(` is `url(` to a browser).
fn check_css(css: &str, place: &str) -> Result<(), ImageError> {
    let compact: String = css.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if compact.contains('\\') {
        return Err(refuse(format!("{place} uses CSS escapes (\\); write the CSS plainly")));
    }
    if compact.contains("image-set(") || compact.contains("src(") {
        return Err(refuse(format!("{place} loads another file or site; embed it or remove it")));
    }
    let outside = compact.match_indices("url(").any(|(at, _)| {
        let rest = compact[at + 4..].trim_start_matches(['"', '\'']);
        !rest.starts_with('#')
    });
    if compact.contains("@import") || outside || compact.contains("expression(") {
        return Err(refuse(format!("{place} loads another file or site; embed it or remove it")));
    }
    Ok(())
}

/// The SVG's size: `width` and `height`, else its `viewBox`; refused when neither gives a positive size.
fn svg_size(root: &roxmltree::Node<'_, '_>) -> Result<(f64, f64), ImageError> {
    let length = |name: &str| {
        root.attribute(name)
            .map(|v| v.trim().trim_end_matches("px"))
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let view_box = root.attribute("viewBox").and_then(|v| {
        let numbers: Vec<f64> = v
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        (numbers.len() == 4 && numbers[2] > 0.0 && numbers[3] > 0.0).then(|| (numbers[2], numbers[3]))
    });
    match (length("width"), length("height"), view_box) {
        (Some(w), Some(h), _) => Ok((w, h)),
        (_, _, Some(size)) => Ok(size),
        _ => Err(refuse("the SVG has no size: give the <svg> element a viewBox (or width and height in pixels)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&vec![200; (width * height * 4) as usize]).unwrap();
        writer.finish().unwrap();
        out
    }

    const BADGE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 512 512">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#1f3a5f"/></linearGradient></defs>
  <style>circle { fill: url(#g); }</style>
  <circle cx="256" cy="256" r="240"/><use xlink:href="#g"/>
  <text x="256" y="270" text-anchor="middle">Умни градове</text>
</svg>"##;

    #[test]
    fn badges_in_png_and_svg_are_accepted_and_named_by_their_digest() {
        let image = check(png(256, 256)).unwrap();
        assert_eq!(image.kind, ImageType::Png);
        assert_eq!(image.digest.len(), 64);
        assert!(image.file_name().ends_with(".png"));
        let svg = check(BADGE.as_bytes().to_vec()).unwrap();
        assert_eq!(svg.kind, ImageType::Svg);
        let b64 = base64::engine::general_purpose::STANDARD.encode(BADGE);
        assert_eq!(from_data_url(&format!("data:image/svg+xml;base64,{b64}")).unwrap(), svg);
        let encoded: String =
            percent_encoding::utf8_percent_encode(BADGE, percent_encoding::NON_ALPHANUMERIC).collect();
        assert_eq!(from_data_url(&format!("data:image/svg+xml,{encoded}")).unwrap(), svg);
    }

    #[test]
    fn unsafe_or_unusable_images_are_refused_with_a_reason() {
        let svg = |body: &str| format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{body}</svg>"#);
        for (content, reason) in [
            (svg("<script>alert(1)</script>"), "<script>"),
            (svg(r#"<rect onclick="alert(1)" width="5" height="5"/>"#), "event handler"),
            (svg(r#"<a href="javascript:alert(1)"><rect width="5" height="5"/></a>"#), "script link"),
            (svg(r#"<image href="https://tracker.example/pixel.png"/>"#), "refers to another file or site"),
            (
                svg(r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>"#),
                "<foreignObject>",
            ),
            (svg("<style>@import url(https://evil.example/x.css);</style>"), "loads another file"),
            (svg(r#"<rect style="fill: url('https://evil.example/x')"/>"#), "loads another file"),
            (svg(r#"<a><set attributeName="href" to="javascript:alert(1)"/></a>"#), "animates a link"),
            (
                r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#.into(),
                "DTD",
            ),
            (r#"<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>"#.into(), "no size"),
            (r#"<svg viewBox="0 0 1 1"/>"#.into(), "SVG namespace"),
            // Found by review: processing instructions, other namespaces, CSS tricks, presentation attributes.
            (format!("<?xml-stylesheet type=\"text/xsl\" href=\"/images/x.svg\"?>{}", svg("")), "processing instruction"),
            (svg(r#"<h:meta xmlns:h="http://www.w3.org/1999/xhtml" http-equiv="refresh" content="0;url=https://evil.example"/>"#), "outside the SVG namespace"),
            (svg(r#"<xsl:element xmlns:xsl="http://www.w3.org/1999/XSL/Transform" name="script"/>"#), "outside the SVG namespace"),
            (svg(r#"<rect width="5" height="5" fill="url(https://evil.example/p.svg#g)"/>"#), "loads another file"),
            (svg(r#"<rect width="5" height="5" cursor="url(https://evil.example/c.png),auto"/>"#), "loads another file"),
            (svg(r#"<rect style="fill:u\72l(https://evil.example/p#g)"/>"#), "CSS escapes"),
            (svg("<style>@imp<!--x-->ort \"https://evil.example/t.css\";</style>"), "holds comments or elements"),
            (svg("<style>rect { mask-image: image-set('https://evil.example/m.png' 1x) }</style>"), "loads another file"),
            (svg(r#"<rect width="5" height="5" x:y="1" xmlns:x="urn:other"/>"#), "in another namespace"),
            (r#"<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#.into(), "save it as UTF-8"),
            (svg(r#"<g xmlns:openbadges="urn:x"/>"#), "prefix openbadges"),
            (svg(&format!("{}{}", "<g>".repeat(400), "</g>".repeat(400))), "more than 64 levels"),
            ("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\">".into(), "not well-formed"),
        ] {
            let error = check(content.clone().into_bytes()).unwrap_err();
            assert!(error.0.contains(reason), "{content}: {error}");
        }
        assert!(check(png(8, 8)).unwrap_err().0.contains("from 32 to 2048 pixels"));
        assert!(check(png(4096, 40)).unwrap_err().0.contains("4096 × 40"));
        let mut truncated = png(64, 64);
        truncated.truncate(truncated.len() - 20);
        assert!(check(truncated).unwrap_err().0.contains("cannot be read"));
        assert!(check(b"\xff\xd8\xff\xe0JFIF".to_vec()).unwrap_err().0.contains("neither a PNG nor an SVG"));
        assert!(check(vec![b' '; MAX_IMAGE_BYTES + 1]).unwrap_err().0.contains("at most 512 KiB"));
        assert!(from_data_url("data:image/gif;base64,R0lGOD").unwrap_err().0.contains("image/gif"));
    }
}
