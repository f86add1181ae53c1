"""The home page in a real browser (headless Chromium) on a 360 px phone and
a 1280 px screen, in Thai (``/``) and English (``/en/``): WCAG 2 A/AA
(axe-core), no sideways scrolling, the platform's name in the header, the
five tambons and the map, drawn under the residents' pages'
Content-Security-Policy (no inline script). Screenshots:
var/test-artifacts/browser/."""
import pytest

from ckanext.maemoh.residents.views import CONTENT_SECURITY_POLICY
from ckanext.maemoh.tests.browser import axe_violations, screenshot
from ckanext.maemoh.tests.helpers import TAMBONS_EN, TAMBONS_TH

# one portal for the module: these tests only read it
pytestmark = pytest.mark.usefixtures("shared_portal")

LANGUAGES = {"th": ("/", "แพลตฟอร์มข้อมูลเมืองแม่เมาะ", "ตำบล", TAMBONS_TH),
             "en": ("/en/", "Mae Moh City Data Platform", "Tambon", TAMBONS_EN)}


def with_residents_csp(route):
    """The page as served, with the residents' pages' Content-Security-Policy."""
    response = route.fetch()
    route.fulfill(response=response,
                  headers={**response.headers, "content-security-policy": CONTENT_SECURITY_POLICY})


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_home_page(live_server, browser_page, lang, width):
    from playwright.sync_api import expect

    path, name, tambon, tambons = LANGUAGES[lang]
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    page.route(f"{live_server}{path}", with_residents_csp)
    response = page.goto(f"{live_server}{path}")
    assert response.status == 200 and response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("header .maemoh-brand")).to_have_text(name)
    expect(page.locator("header .maemoh-brand img")).to_be_visible()
    expect(page.locator("#maemoh-map[data-ready=true]")).to_have_count(1, timeout=30_000)
    expect(page.locator("path.maemoh-tambon")).to_have_count(5)
    for place in tambons:
        expect(page.get_by_role("link", name=f"{tambon} {place}", exact=True)).to_be_visible()
    assert refused == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe_violations(page) == []
    screenshot(page, f"home-{lang}-{width}")
