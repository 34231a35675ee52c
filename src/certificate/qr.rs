//! The QR codes microcred draws (on certificates, and for wallet offers): the `qrcode` crate encodes the text,
//! places the codewords and applies the mask; this module only scores the eight masks faster than the crate does.
//!
//! Why: `qrcode` 0.14 scores each mask through a per-module accessor and allocates a boxed closure for every
//! module in its finder-pattern rule, which was 15 % of a certificate's CPU time served over HTTP
//! (BENCHMARKS.md, "PDFs over HTTP"). The scores here are the crate's own rules (ISO/IEC 18004:2015 §7.8.3,
//! with the crate's unrounded balance rule), computed on a flat array of colours, and the same mask wins on
//! ties (the first in the crate's order), so the modules equal `QrCode::with_error_correction_level`'s
//! exactly: the tests compare them on arbitrary texts. Drop this module when a `qrcode` release scores
//! masks without allocating.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::types::{Color, EcLevel};

/// The masks in the order `qrcode`'s `Canvas::apply_best_mask` tries them (its choice on a tie is the first).
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// `text` as a QR code (smallest version that holds it at `ec_level`): the width in modules and the modules
/// row by row (`width × width`, `true` = dark), without the quiet zone. `None` if no QR code version holds it.
///
/// See: ISO/IEC 18004:2015 §7.8 (data masking); equal to `qrcode::QrCode::with_error_correction_level`.
pub fn modules(text: &[u8], ec_level: EcLevel) -> Option<(usize, Vec<bool>)> {
    let bits = qrcode::bits::encode_auto(text, ec_level).ok()?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level).ok()?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = version.width() as usize;
    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(mask);
        let dark: Vec<bool> = masked.into_colors().into_iter().map(|c| c == Color::Dark).collect();
        let score = penalty(&dark, width);
        // Strictly lower only: on a tie the earlier mask stays, as in the crate.
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, dark));
        }
    }
    best.map(|(_, dark)| (width, dark))
}

/// The total penalty of a masked symbol (lower is better), as `qrcode` 0.14 computes it up to a constant:
/// runs of five or more same-coloured modules in a row or column (length − 2 each), 2 × 2 blocks of one
/// colour (3 each), finder-like `1011101` patterns with four light modules (or the edge) on either side (40
/// each), and the distance of the dark share from 50 % (the crate's `|dark × 200 / total − 100|`).
///
/// Branch-free on the modules' colours: the eight masked symbols look random to the branch predictor, and
/// a mispredicted branch per module made an earlier version of this function as slow as the crate's.
fn penalty(dark: &[bool], width: usize) -> u32 {
    let mut score = 0u32;
    let mut column = vec![false; width];
    for line in 0..width {
        let row = &dark[line * width..(line + 1) * width];
        score += runs_and_finders(row);
        for (k, module) in column.iter_mut().enumerate() {
            *module = dark[k * width + line];
        }
        score += runs_and_finders(&column);
    }
    for y in 0..width - 1 {
        let (upper, lower) = (&dark[y * width..(y + 1) * width], &dark[(y + 1) * width..(y + 2) * width]);
        for x in 0..width - 1 {
            let c = upper[x];
            let same = (upper[x + 1] == c) & (lower[x] == c) & (lower[x + 1] == c);
            score += 3 * u32::from(same);
        }
    }
    let dark_count = dark.iter().map(|d| usize::from(*d)).sum::<usize>();
    let ratio = dark_count * 200 / dark.len();
    score + ratio.abs_diff(100) as u32
}

/// The run and finder-pattern penalties of one row or column (`true` = dark).
fn runs_and_finders(line: &[bool]) -> u32 {
    // The pattern is a palindrome, so the direction the window reads in does not matter.
    const FINDER: u32 = 0b101_1101;
    let mut score = 0;
    let mut run = 1u32;
    for k in 1..line.len() {
        let same = u32::from(line[k] == line[k - 1]);
        let ended = run * (1 - same);
        score += u32::from(ended >= 5) * ended.saturating_sub(2);
        run = run * same + 1;
    }
    score += u32::from(run >= 5) * run.saturating_sub(2);
    // A window of 15 modules: four before a candidate pattern, its seven, four after; outside the symbol
    // counts as light, as in the crate (its check is "in range and dark"). After module `i` of the line
    // padded with four light modules each side is shifted in, the window's pattern starts at `i − 14`.
    let mut window = 0u32;
    let padded = line.len() + 8;
    for i in 0..padded {
        let dark = (4..line.len() + 4).contains(&i) && line[i - 4];
        window = ((window << 1) | u32::from(dark)) & 0x7fff;
        let pattern = (window >> 4) & 0x7f == FINDER;
        let light_side = (window >> 11) & 0xf == 0 || window & 0xf == 0;
        score += 40 * u32::from(i >= 14 && pattern && light_side);
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use qrcode::QrCode;

    fn from_crate(text: &[u8], ec_level: EcLevel) -> (usize, Vec<bool>) {
        let code = QrCode::with_error_correction_level(text, ec_level).unwrap();
        (code.width(), code.to_colors().into_iter().map(|c| c == Color::Dark).collect())
    }

    #[test]
    fn a_certificate_url_gives_the_crates_modules() {
        let url = b"https://certs.example.eu/credentials/urn:uuid:6f1c2a8e-3b1d-4c55-9d7e-0a2b3c4d5e6f";
        for level in [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H] {
            assert_eq!(modules(url, level).unwrap(), from_crate(url, level));
        }
    }

    /// The largest versions (up to 40, 177 modules a side), which the arbitrary texts below do not reach.
    #[test]
    fn large_versions_give_the_crates_modules() {
        for (len, level) in [(1_000, EcLevel::L), (1_600, EcLevel::M), (2_331, EcLevel::M), (2_953, EcLevel::L)] {
            let text: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
            assert_eq!(modules(&text, level).unwrap(), from_crate(&text, level), "{len} bytes at {level:?}");
        }
        assert_eq!(modules(&[7; 2_953], EcLevel::L).unwrap().0, 177, "version 40");
    }

    /// The wallet offer's SVG (`certificate::qr_svg`) is drawn from these modules: the crate's own SVG, byte
    /// for byte.
    #[test]
    fn the_offer_svg_is_the_crates() {
        use qrcode::render::svg;
        let url = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcerts.example.eu%2Foffers%2F42";
        let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
        let rendered = code
            .render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build();
        let expected = &rendered[rendered.find("<svg").unwrap()..];
        assert_eq!(crate::certificate::qr_svg(url, 240).unwrap(), expected);
    }

    #[test]
    fn text_too_long_for_any_version_is_none() {
        assert_eq!(modules(&[b'x'; 3_000], EcLevel::M), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any text up to 400 bytes (versions 1 to about 20): the same mask wins as in the crate, so the same modules.
        #[test]
        fn equals_the_crate(text in proptest::collection::vec(any::<u8>(), 0..400), level in 0..4u8) {
            let level = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H][level as usize];
            prop_assert_eq!(modules(&text, level).unwrap(), from_crate(&text, level));
        }

        /// URLs (alphanumeric and byte segments mixed), where certificates live.
        #[test]
        fn equals_the_crate_on_urls(path in "[a-zA-Z0-9:/._-]{1,200}") {
            let text = format!("https://{path}");
            prop_assert_eq!(modules(text.as_bytes(), EcLevel::M).unwrap(), from_crate(text.as_bytes(), EcLevel::M));
        }
    }
}
