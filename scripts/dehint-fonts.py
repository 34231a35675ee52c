#!/usr/bin/env python3
"""Removes the TrueType hinting from the bundled Noto Sans faces (templates/fonts/), in place.

Hinting (the fpgm, prep and cvt programs and each glyph's instructions) only grid-fits glyphs on low-resolution
screens; PDF viewers and printers scale outlines. It was 46 % of each embedded font subset, so every certificate
carried and compressed it for nothing. Outlines, metrics, glyph order, cmap and OpenType layout are left as they
are: glyph ids and widths, and so layout, do not change. Glyph names go too (post table format 3). The OFL allows modified versions; these keep the name.

Needs fontTools (pip install fonttools). Usage: scripts/dehint-fonts.py [FONT ...]
"""
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

fonts = sys.argv[1:] or sorted(str(p) for p in (Path(__file__).parent.parent / "templates/fonts").glob("*.ttf"))
for path in fonts:
    font = TTFont(path)
    before = Path(path).stat().st_size
    for tag in ("fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX", "DSIG"):
        if tag in font:
            del font[tag]
    glyf = font["glyf"]
    for name in font.getGlyphOrder():
        glyf[name].removeHinting()
    maxp = font["maxp"]
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    # Glyph names (post format 2) serve font editors, not PDFs: microcred's subsets carry none (format 3), and
    # printpdf's subsetter parsed all 3,000 names for every certificate.
    font["post"].formatType = 3.0
    # Without instructions, the rasteriser should smooth at every size.
    if "gasp" in font:
        font["gasp"].gaspRange = {0xFFFF: 0x000A}
    font.save(path)
    print(f"{path}: {before} -> {Path(path).stat().st_size} bytes")
