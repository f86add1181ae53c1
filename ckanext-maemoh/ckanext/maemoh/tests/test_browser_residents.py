"""The residents' pages in a real browser (headless Chromium, a 360 px phone):
the map draws the tambons and stations in their band colours, the language
switches, a tambon page shows its charts. Screenshots: var/test-artifacts/browser/."""
import pytest

from ckanext.maemoh.risk_jobs import aqi, composite
from ckanext.maemoh.tests.browser import axe_violations, screenshot
from ckanext.maemoh.tests.helpers import TAMBONS_EN, TAMBONS_TH

# one portal for the module: these tests only read it
pytestmark = pytest.mark.usefixtures("shared_portal")
GREY = "#bdbdbd"


@pytest.fixture(scope="module")
def with_forecast(shared_portal):
    """The portal with its PM2.5 forecast published and in the residents' snapshot."""
    from ckanext.maemoh.forecasting import runs as forecast_runs
    from ckanext.maemoh.residents import snapshot

    assert forecast_runs.execute()["status"] == "published"
    snapshot.refresh()
    return shared_portal


def test_the_district_page_on_a_phone(with_forecast, live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    assert page.goto(f"{live_server}/maemoh/").status == 200
    expect(page.locator("#maemoh-map[data-ready=true]")).to_have_count(1, timeout=30_000)
    tambons = page.locator("path.maemoh-tambon")
    expect(tambons).to_have_count(5)
    band_colours = {b.hex.lower() for b in aqi.BANDS.values()} | {GREY}
    fills = {tambons.nth(i).get_attribute("fill").lower() for i in range(5)}
    assert fills <= band_colours and fills - {GREY}, fills  # coloured by band, some current
    stations = page.locator("path.maemoh-station")
    assert stations.count() >= 3
    assert {stations.nth(i).get_attribute("fill").lower() for i in range(stations.count())} <= band_colours
    cards = page.locator("li.maemoh-card")
    expect(cards).to_have_count(5)
    for name in TAMBONS_TH:
        expect(page.get_by_role("link", name=f"ตำบล {name}")).to_be_visible()
    expect(cards.first.locator("ul.maemoh-forecast li")).to_have_count(2)  # tomorrow and the day after
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "maemoh-th-360")

    page.locator("#content").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#maemoh-map[data-ready=true]")).to_have_count(1, timeout=30_000)
    for name in TAMBONS_EN:
        expect(page.get_by_role("link", name=f"Tambon {name}")).to_be_visible()
    screenshot(page, "maemoh-en-360")

    page.get_by_text("Air risk class").click()  # the map's other colouring
    risk_colours = {c.colour.lower() for c in composite.RISK_CLASSES} | {GREY}
    risk_fills = {tambons.nth(i).get_attribute("fill").lower() for i in range(5)}
    assert risk_fills <= risk_colours and risk_fills - {GREY}, risk_fills
    screenshot(page, "maemoh-en-risk-360")

    page.get_by_role("link", name="Tambon Mae Mo").click()
    expect(page.locator("h1")).to_have_text("Tambon Mae Mo")
    expect(page.locator("svg.maemoh-chart")).to_have_count(2)
    assert page.locator("svg.maemoh-chart rect").count() >= 7  # a bar per day
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "maemoh-tambon-520204-en-360")


@pytest.mark.parametrize("path", ["/maemoh/", "/en/maemoh/", "/maemoh/tambon/520204", "/en/maemoh/net-zero",
                                  "/maemoh/about-data", "/maemoh/about-publishing",
                                  "/en/maemoh/about-publishing"])
def test_residents_pages_pass_axe(with_forecast, live_server, browser_page, path):
    """WCAG 2 A/AA (axe-core in Chromium) on a 360 px phone, in Thai and English."""
    page = browser_page
    assert page.goto(f"{live_server}{path}").status == 200
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
