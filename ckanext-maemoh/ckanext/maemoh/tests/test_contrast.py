"""Colours people can read (WCAG 2 AA): every pair of a text colour and the
colour it is printed on, as the code and the style sheets define them, has a
contrast ratio of at least 4.5:1 — the risk-class and AQI badges of the
residents' pages, the legends, badges, tooltips and labels of the risk map —
and the graphics that carry meaning without text around them (tambon
outlines on the map, the legend's swatch borders, the chart bars) at least
3:1 against what is around them (WCAG 1.4.11).

The cells' fills are not held to 3:1 against the map's background: a cell's
class is never told by its colour alone (the legend lists each class in
words with its count, the tooltip names it), the pale classes are the ones
that mean "little or nothing here", and a sequential ramp cannot keep every
step 3:1 from the background and from each other.

Pure: reads the colours from where they live (risk_jobs, risk/map_view.py,
residents.py, the CSS, the templates, CKAN's own theme), no browser. The
risk-map browser test runs axe-core's contrast rule on the drawn page too.
"""
import pathlib
import re

import pytest

import ckan

import ckanext.maemoh
from ckanext.maemoh.residents import charts
from ckanext.maemoh.risk import map_view as risk_map
from ckanext.maemoh.risk_jobs import air_now, aqi, composite

PACKAGE = pathlib.Path(ckanext.maemoh.__file__).resolve().parent
ASSETS = PACKAGE / "assets"
TEMPLATES = PACKAGE / "templates"
CKAN_CSS = pathlib.Path(ckan.__file__).resolve().parent / "public" / "base" / "css" / "main.css"
TEXT, GRAPHIC = 4.5, 3.0


# ------------------------------------------------------------ WCAG 2 contrast

def rgb(colour):
    colour = colour.strip().lower()
    if colour in ("white", "black"):
        return (255, 255, 255) if colour == "white" else (0, 0, 0)
    match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", colour)
    assert match, f"not a colour this test reads: {colour!r}"
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))


def luminance(colour):
    """Relative luminance (WCAG 2, sRGB)."""
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white


# ------------------------------------------------------------ CSS as the tests read it

def css_rules(path):
    """``[(selector, {property: value})]`` of a style sheet (no nesting)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip().lower()] = value.strip()
        rules.append((" ".join(selector.split()), declarations))
    return rules


def colour_in(value):
    """The first colour of a declaration's value (``background: #fff`` ...)."""
    found = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|\b(?:white|black)\b", value or "")
    return found.group(0) if found else None


def background_of(declarations):
    return colour_in(declarations.get("background-color") or declarations.get("background"))


def ckan_page():
    """CKAN's page colours (Bootstrap's variables in CKAN's main.css)."""
    css = CKAN_CSS.read_text(encoding="utf-8")
    return (re.search(r"--bs-body-color:\s*(#[0-9a-fA-F]{3,6})", css).group(1),
            re.search(r"--bs-body-bg:\s*(#[0-9a-fA-F]{3,6})", css).group(1))


def text_pairs(path, page_background):
    """(selector, text, background) of every rule that sets a text colour;
    a rule without a background of its own is read on the page's."""
    return [(selector, colour_in(d["color"]), background_of(d) or page_background)
            for selector, d in css_rules(path) if colour_in(d.get("color"))]


def risk_map_page():
    (declarations,) = [d for s, d in css_rules(ASSETS / "risk_map.css") if s == ".maemoh-risk-map"]
    return colour_in(declarations["color"]), background_of(declarations)


# ------------------------------------------------------------ badges

def test_risk_class_badges():
    pairs = [(c.label_en, c.colour, c.text_colour) for c in composite.RISK_CLASSES]
    pairs.append(("no data", composite.NO_DATA_COLOUR, composite.NO_DATA_TEXT_COLOUR))
    for name, background, text in pairs:
        assert contrast(text, background) >= TEXT, (name, text, background, contrast(text, background))


def test_aqi_band_badges():
    pairs = [(b.name_en, b.hex, b.text_hex) for b in aqi.BANDS.values()]
    pairs.append(("no data", air_now.NO_DATA_COLOUR, air_now.NO_DATA_TEXT_COLOUR))
    for name, background, text in pairs:
        assert contrast(text, background) >= TEXT, (name, text, background, contrast(text, background))


def test_the_risk_map_classes():
    """The legends' and tooltips' classes (risk, hazard levels share the risk
    ramp, LISA, Gi*): the text colour given with each is readable on it."""
    for background, text in risk_map.categories():
        assert contrast(text, background) >= TEXT, (text, background, contrast(text, background))


def test_every_class_of_the_local_statistics_has_a_colour():
    from ckanext.maemoh.risk_jobs import statistics

    assert {c.code for c in risk_map.LISA_CATEGORIES} == set(statistics.LISA_CLASSES)
    assert {c.code for c in risk_map.GI_CATEGORIES} == set(statistics.GI_CLASSES)


def test_every_badge_in_the_templates_sets_its_text_colour():
    """A template that paints a background on text also says the text's
    colour (the "very high" badge printed CKAN's dark grey on dark red);
    the legend's swatches carry no text (aria-hidden)."""
    checked = 0
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<[a-z]+\b[^>]*\bstyle=\"[^\"]*background[^\"]*\"[^>]*>", path.read_text("utf-8")):
            if 'aria-hidden="true"' in tag:
                continue
            style = re.search(r'style="([^"]*)"', tag).group(1)
            assert re.search(r"(^|;)\s*color\s*:", style), (path.name, tag)
            checked += 1
    assert checked >= 2  # the AQI band and the risk class badges


def test_the_tambon_page_badge_reads_the_text_colour_of_the_class():
    template = (TEMPLATES / "maemoh" / "tambon.html").read_text("utf-8")
    assert "color: {{ r.cls.text_colour }}" in template


# ------------------------------------------------------------ style sheets

def test_residents_pages_text():
    body_text, page = ckan_page()
    assert contrast(body_text, page) >= TEXT
    pairs = text_pairs(ASSETS / "residents.css", page)
    for selector, text, background in pairs:
        assert contrast(text, background) >= TEXT, (selector, text, background, contrast(text, background))


def test_the_header_name_and_the_home_page_text():
    """The platform's name (brand.css) on CKAN's masthead; the home page's text on the page."""
    (masthead,) = {background_of(d) for s, d in css_rules(CKAN_CSS) if s == ".masthead" and background_of(d)}
    (brand,) = [d for s, d in css_rules(ASSETS / "brand.css") if s == ".masthead .navbar .maemoh-brand"]
    assert contrast(colour_in(brand["color"]), masthead) >= TEXT, (brand["color"], masthead)
    _body_text, page = ckan_page()
    pairs = text_pairs(ASSETS / "home.css", page)
    assert pairs
    for selector, text, background in pairs:
        assert contrast(text, background) >= TEXT, (selector, text, background, contrast(text, background))


def test_risk_map_text_legend_tooltips_and_labels():
    _text, page = risk_map_page()
    pairs = text_pairs(ASSETS / "risk_map.css", page)
    selectors = {selector for selector, _t, _b in pairs}
    # the legend, the disabled switches, the tooltips and the tambon labels on the map
    assert {".maemoh-risk-map", ".maemoh-risk-map-count", ".maemoh-risk-map-mode input:disabled + label",
            ".maemoh-risk-map .leaflet-tooltip.maemoh-risk-map-tooltip",
            ".maemoh-risk-map .leaflet-tooltip.maemoh-risk-map-label",
            ".maemoh-risk-map .leaflet-control-attribution a"} <= selectors
    for selector, text, background in pairs:
        assert contrast(text, background) >= TEXT, (selector, text, background, contrast(text, background))


def test_the_residents_map_tooltips():
    """The residents' map uses Leaflet's own tooltip (ckanext-spatial's Leaflet)."""
    import ckanext.spatial

    (leaflet_css,) = pathlib.Path(ckanext.spatial.__file__).parent.glob("assets/js/vendor/leaflet/*/leaflet.css")
    (tooltip,) = [d for s, d in css_rules(leaflet_css) if s == ".leaflet-tooltip"]
    assert contrast(colour_in(tooltip["color"]), background_of(tooltip)) >= TEXT


def test_map_graphics_against_what_is_around_them():
    rules = dict(css_rules(ASSETS / "risk_map.css"))
    _text, page = risk_map_page()
    map_background = background_of(rules[".maemoh-risk-map-canvas"])
    outline = colour_in(rules[".maemoh-risk-map-outline"]["stroke"])
    halo = colour_in(rules[".maemoh-risk-map-outline-halo"]["stroke"])
    assert contrast(outline, map_background) >= GRAPHIC
    # the outlines cross the cells too: the dark line or its light halo stands out on every fill
    for fill, _text in risk_map.categories():
        assert max(contrast(outline, fill), contrast(halo, fill)) >= GRAPHIC, fill
    swatch_border = colour_in(rules[".maemoh-risk-map-swatch"]["border"])
    assert contrast(swatch_border, page) >= GRAPHIC
    map_border = colour_in(rules[".maemoh-risk-map-canvas"]["border"])
    assert contrast(map_border, page) >= GRAPHIC


def test_chart_bars():
    """The PM2.5 charts' bars (below and above the standard) on the page."""
    _body_text, page = ckan_page()
    colours = set(re.findall(r"#[0-9a-fA-F]{6}", pathlib.Path(charts.__file__).read_text("utf-8")))
    assert colours
    for colour in colours:
        assert contrast(colour, page) >= GRAPHIC, colour
