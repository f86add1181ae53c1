"""Text from the data reaches the residents' map as text (real Chromium):
a station titled with markup shows that markup as letters in its tooltip,
and the page sends a Content-Security-Policy that forbids inline script."""
import pytest

from ckan.tests import factories, helpers

from ckanext.maemoh.residents import snapshot

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")
PAYLOAD = '<img src=x onerror="window.__maemohXss = 1">'


def test_a_station_title_with_markup_renders_as_text(portal, live_server, browser_page):
    from playwright.sync_api import expect

    helpers.call_action("package_patch", context={"user": factories.Sysadmin()["name"]},
                        id="air4thai-station-38t", title_translated={"th": PAYLOAD, "en": PAYLOAD})
    snapshot.refresh()
    page = browser_page
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{live_server}/maemoh/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.locator("#maemoh-map[data-ready=true]")).to_have_count(1, timeout=30_000)

    stations = page.locator("path.maemoh-station")
    shown = []
    for index in range(stations.count()):
        stations.nth(index).hover(force=True)
        tooltip = page.locator(".leaflet-tooltip").last
        expect(tooltip).to_be_visible()
        shown.append(tooltip.inner_text())
        assert page.locator(".leaflet-tooltip img").count() == 0
    assert any(text.startswith(PAYLOAD + ":") for text in shown), shown
    assert page.evaluate("window.__maemohXss") is None
    # the station's card on the page says the same, escaped by the template
    expect(page.get_by_text(PAYLOAD).first).to_be_attached()
    assert page.locator("main img[src=x]").count() == 0
    assert not violations, violations  # our own page runs under its policy
