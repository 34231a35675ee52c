//! The Open Badges 3.0 baked badge: a PNG image that carries the signed credential in one uncompressed
//! `iTXt` chunk with the keyword `openbadgecredential`
//! (<https://www.imsglobal.org/spec/ob/v3p0/#baking>). The image is the achievement's own when it is an
//! embedded PNG (`data:image/png;base64,…`; remote images are never fetched), otherwise a generated seal.

use std::io::Cursor;

use base64::Engine;

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
    /// Writing failed.
    #[error("could not write the PNG: {0}")]
    Encode(String),
}

/// The badge for a credential: `image` (the achievement's `image.id`) when it is an embedded PNG, else the
/// generated seal, with `credential` baked in.
pub fn bake(image: Option<&str>, credential: &str) -> Result<Vec<u8>, BadgeError> {
    let embedded = image
        .and_then(|id| id.strip_prefix("data:image/png;base64,"))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|png| decode(&png).ok());
    let (width, height, rgba) = match embedded {
        Some((w, h, pixels, _)) => (w, h, pixels),
        None => (SIDE, SIDE, seal()),
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_itxt_chunk(KEYWORD.into(), credential.into()).map_err(|e| BadgeError::Encode(e.to_string()))?;
    let mut writer = encoder.write_header().map_err(|e| BadgeError::Encode(e.to_string()))?;
    writer.write_image_data(&rgba).map_err(|e| BadgeError::Encode(e.to_string()))?;
    writer.finish().map_err(|e| BadgeError::Encode(e.to_string()))?;
    Ok(out)
}

/// The credential baked into a PNG (the first `openbadgecredential` iTXt chunk, compressed or not).
pub fn extract(png: &[u8]) -> Result<String, BadgeError> {
    let (_, _, _, text) = decode(png)?;
    text.ok_or(BadgeError::NoCredential)
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

/// A navy seal with a gold ring and a white check mark, anti-aliased, on a transparent background.
fn seal() -> Vec<u8> {
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
        // Re-baking an embedded PNG keeps its pixels and replaces the credential.
        let data_url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png));
        let again = bake(Some(&data_url), "{}").unwrap();
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
}
