"""The risk-map view in a real browser (headless Chromium, a 360 px phone): it
is the default view of a published layer, the cells are drawn in the colour
of their class (read back from the canvas), the legend lists the classes in
Thai and English, the Gi* switch recolours the cells, a tooltip names the
cell as text (markup in the data stays letters), unreachable base-map tiles
do not stop the map, and the page passes axe-core's WCAG 2 AA rules. The bytes of
the compact data and the time to the first draw are printed (never asserted
as times: bench/risk_map.py measures them). Screenshots:
var/test-artifacts/browser/risk-map-*.png."""
import json

import pytest

from ckan.tests import helpers

from ckanext.maemoh.risk import map_view as risk_map
from ckanext.maemoh.risk_jobs import composite
from ckanext.maemoh.tests import risk_layers
from ckanext.maemoh.tests.browser import PHONE_VIEWPORT, axe_violations, screenshot

pytestmark = pytest.mark.usefixtures("clean_index")
READY = "#maemoh-risk-map[data-ready=true]"
PAYLOAD = '<img src=x onerror="window.__maemohXss = 1">'
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
#: payload budget of the view (the issue: 10 000 cells in <= 2 MB)
MAX_PAYLOAD_BYTES = 2_000_000


def _properties(dataset, app):
    geo = next(r for r in dataset["resources"] if r["name"] == "Risk map (GeoJSON)")
    return geo, [f["properties"] for f in json.loads(app.get(geo["url"]).get_data())["features"]]


def _canvas_colours(page, cells):
    return page.evaluate(
        "ids => ids.map(id => document.getElementById('maemoh-risk-map').maemohRiskMap.colourAt(id))", cells)


def test_the_risk_map_view_on_a_phone(app, district, live_server, browser_page):
    dataset = risk_layers.publish("fire", 8)
    geo, cells = _properties(dataset, app)
    # the resource page shows our view first, in CKAN's iframe
    assert browser_page.goto(f"{live_server}/risk-layer/{dataset['name']}/resource/{geo['id']}").status == 200
    frame_src = browser_page.locator("iframe").first.get_attribute("src")
    view = helpers.call_action("resource_view_list", id=geo["id"])[0]
    assert view["view_type"] == "maemoh_risk_map" and frame_src.endswith(f"/view/{view['id']}")

    # the view on its own, in a fresh browser (nothing cached), as a phone
    context = browser_page.context.browser.new_context(viewport=PHONE_VIEWPORT, locale="th-TH")
    try:
        _on_a_phone(app, context.new_page(), frame_src, live_server, geo, cells)
    finally:
        context.close()


def _on_a_phone(app, page, frame_src, live_server, geo, cells):
    from playwright.sync_api import expect

    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    response = page.goto(frame_src)
    assert response.status == 200
    expect(page.locator(READY)).to_have_count(1, timeout=30_000)
    element = page.locator("#maemoh-risk-map")
    assert element.get_attribute("data-mode") == "risk"
    first_draw_ms = float(element.get_attribute("data-first-draw-ms"))
    (data,) = [r for r in requests if r.url.split("?")[0].endswith(f"/maemoh/risk-map/{geo['id']}.json")]
    size = data.sizes()["responseBodySize"]
    page_bytes = sum(r.sizes()["responseBodySize"] for r in requests)
    assert int(element.get_attribute("data-cells")) == len(cells)

    # coloured by class: what was drawn, per colour, and the canvas under cell centres
    expected = {}
    for p in cells:
        cls = composite.RISK_CLASS_BY_VALUE.get(p["risk_class"])
        colour = cls.colour if cls else composite.NO_DATA_COLOUR
        expected[colour] = expected.get(colour, 0) + 1
    assert json.loads(element.get_attribute("data-drawn")) == expected
    sample = cells[::max(1, len(cells) // 40)]
    drawn = _canvas_colours(page, [p["cell_id"] for p in sample])
    for p, colour in zip(sample, drawn):
        cls = composite.RISK_CLASS_BY_VALUE.get(p["risk_class"])
        assert colour == (cls.colour if cls else composite.NO_DATA_COLOUR), (p["cell_id"], p["risk_class"], colour)

    # the legend, in Thai and English, with the number of cells of each class
    legend = page.locator('.maemoh-risk-map-legend[data-mode="risk"]')
    expect(legend).to_be_visible()
    for c in composite.RISK_CLASSES:
        item = legend.locator(f'li[data-code="{c.value}"]')
        expect(item.locator('[lang="th"]')).to_have_text(c.label_th)
        expect(item.locator('[lang="en"]')).to_have_text(c.label_en)
    expect(page.locator('.maemoh-risk-map-legend[data-mode="gi"]')).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "risk-map-th-360")
    assert axe_violations(page) == []

    # a tooltip: the cell's tambon and class, as text
    first = next(p for p in cells if p["risk_class"] == 5)
    point = page.evaluate("""id => {
        const api = document.getElementById('maemoh-risk-map').maemohRiskMap;
        const [lat, lng] = h3.cellToLatLng(id);
        const p = api.map.latLngToContainerPoint([lat, lng]);
        const box = document.getElementById('maemoh-risk-map').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", first["cell_id"])
    page.mouse.move(*point)
    tooltip = page.locator(".maemoh-risk-map-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(first["name_th"])
    expect(tooltip.locator(".maemoh-risk-map-badge").first).to_have_text(first["risk_label_th"])

    # Gi*: the cells take the colours of their hot and cold spots
    page.get_by_label("จุดร้อน Gi*").check()
    expect(element).to_have_attribute("data-mode", "gi")
    expect(page.locator('.maemoh-risk-map-legend[data-mode="gi"]')).to_be_visible()
    expect(legend).to_be_hidden()
    gi_colour = {c.code: c.colour for c in risk_map.GI_CATEGORIES}
    drawn = _canvas_colours(page, [p["cell_id"] for p in sample])
    for p, colour in zip(sample, drawn):
        assert colour == gi_colour[p["gi_class"] or "no data"], (p["cell_id"], p["gi_class"], colour)
    gi_legend = page.locator('.maemoh-risk-map-legend[data-mode="gi"]')
    for code in {p["gi_class"] for p in cells}:
        expect(gi_legend.locator(f'li[data-code="{code}"]')).to_have_count(1)
    screenshot(page, "risk-map-gi-th-360")
    assert axe_violations(page) == []

    # English: the page's words change, the legend keeps both languages
    page.goto(frame_src.replace(live_server, live_server + "/en", 1))
    expect(page.locator(READY)).to_have_count(1, timeout=30_000)
    expect(page.get_by_text("Colour the cells by")).to_be_visible()
    expect(page.locator('.maemoh-risk-map-legend[data-mode="risk"] [lang="th"]').last).to_be_visible()
    screenshot(page, "risk-map-en-360")
    assert axe_violations(page) == []

    print(f"\nrisk map, {len(cells)} cells: compact data {size} bytes (the GeoJSON: "
          f"{len(app.get(geo['url']).get_data())} bytes); everything the view's page fetched "
          f"{page_bytes} bytes (CKAN's base JS included); first draw {first_draw_ms:.0f} ms after navigation (not asserted)")
    assert size <= MAX_PAYLOAD_BYTES


def test_a_layer_without_local_statistics(app, district, live_server, browser_page):
    from playwright.sync_api import expect

    # hazard labels written as markup: the legend and the tooltips show them as text
    labels = {level: (f"{PAYLOAD} {th}", en) for level, (th, en) in risk_layers.HAZARD_LABELS.items()}
    dataset = risk_layers.publish("air", None, uncertainty=True, hazard_labels=labels)
    geo, cells = _properties(dataset, app)
    page = browser_page
    page.goto(f"{live_server}/risk-layer/{dataset['name']}/resource/{geo['id']}")
    frame_src = page.locator("iframe").first.get_attribute("src")

    # a base map whose tiles cannot be reached (nothing listens on port 9), with
    # an attribution written as markup: the map draws all the same, the
    # attribution shows as text
    def with_tiles(route):
        response = route.fetch()
        body = response.text().replace('data-tile-url=""', f'data-tile-url="{UNREACHABLE_TILES}"').replace(
            'data-tile-attribution=""', 'data-tile-attribution="&lt;img src=x onerror=&quot;window.__maemohXss = 1&quot;&gt;"')
        route.fulfill(response=response, body=body)
    page.route(frame_src, with_tiles)
    page.goto(frame_src)
    expect(page.locator(READY)).to_have_count(1, timeout=30_000)
    assert page.locator("img.leaflet-tile").count() > 0  # the tiles were asked for
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("<img src=x")
    assert page.locator(".leaflet-control-attribution img").count() == 0
    assert page.evaluate("window.__maemohXss") is None
    for label in ("กลุ่มพื้นที่ LISA", "จุดร้อน Gi*"):
        expect(page.get_by_label(label)).to_be_disabled()
    note = page.locator("#maemoh-risk-map-why-local")
    expect(note.locator('[lang="th"]')).to_have_text(risk_map.NO_LOCAL_STATISTICS_TH)
    expect(note.locator('[lang="en"]')).to_have_text(risk_map.NO_LOCAL_STATISTICS_EN)
    element = page.locator("#maemoh-risk-map")
    assert sum(json.loads(element.get_attribute("data-drawn")).values()) == len(cells) == 5
    expect(page.locator("path.maemoh-risk-map-outline")).to_have_count(5, timeout=10_000)

    # a tambon cell (found by its polygon, not by H3) and its tooltip, as text
    tambon = risk_layers.tambons().set_index("tambon_code").loc[cells[0]["tambon_code"]]
    inside = tambon.geometry.representative_point()
    point = page.evaluate("""([lat, lng]) => {
        const api = document.getElementById('maemoh-risk-map').maemohRiskMap;
        const p = api.map.latLngToContainerPoint([lat, lng]);
        const box = document.getElementById('maemoh-risk-map').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", [inside.y, inside.x])
    page.mouse.move(*point)
    tooltip = page.locator(".maemoh-risk-map-tooltip")
    expect(tooltip).to_contain_text(cells[0]["name_th"])
    if cells[0]["hazard_label_th"]:
        expect(tooltip).to_contain_text(PAYLOAD)
    assert page.locator(".maemoh-risk-map-tooltip img, main img[src=x]").count() == 0
    expect(page.locator('.maemoh-risk-map-legend[data-mode="hazard"]').get_by_text(PAYLOAD).first).to_be_attached()
    assert page.evaluate("window.__maemohXss") is None
    screenshot(page, "risk-map-tambons-th-360")
    assert axe_violations(page) == []
