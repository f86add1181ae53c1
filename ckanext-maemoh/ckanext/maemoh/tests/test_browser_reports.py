"""A resident reports what they saw in a real browser (headless Chromium, a
360 px phone) against a real CKAN server over HTTP: a tap on the map, a
photo whose EXIF GPS is gone once kept, the private link; an editor of the
district approves; the report shows on the residents' map as its H3 cell,
never its point. Every page passes axe-core (WCAG 2 A/AA)."""
import h3
import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from ckan.tests import factories, helpers

from ckanext.maemoh.reporting import model, store
from ckanext.maemoh.residents import snapshot
from ckanext.maemoh.tests.browser import axe_violations, screenshot
from ckanext.maemoh.tests.helpers import phone_photo

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _rows():
    with model.engine().connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(model.report)).mappings()]


def test_a_resident_reports_smoke_with_a_photo_on_a_phone_and_it_shows_by_its_cell(
        district, live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    assert page.goto(f"{live_server}/maemoh/report").status == 200
    page.wait_for_selector("#maemoh-report-map path.leaflet-interactive")  # the tambon outlines
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("ควันหรือการเผาในที่โล่ง").check()
    page.locator("#maemoh-report-map").click()  # a tap in the middle of the district
    expect(page.get_by_label("ละติจูด")).not_to_have_value("")
    page.get_by_label("เกิดอะไรขึ้น (ไม่บังคับ)").fill("ควันจากการเผาในไร่ข้างโรงเรียน")
    page.set_input_files("#field-photo", files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg",
                                                 "buffer": phone_photo()}])
    page.get_by_role("button", name="ส่งรายงาน").click()
    expect(page.locator("h1")).to_have_text("ขอบคุณ เราได้รับรายงานของคุณแล้ว")
    assert axe_violations(page) == []
    screenshot(page, "report-done-th-360")
    status_link = page.locator(".maemoh-private-link a").get_attribute("href")

    (row,) = _rows()
    assert row["category"] == "smoke-burning" and row["tambon_code"]
    with Image.open(store.photo_path(row["id"], approved_only=False)) as kept:
        assert not kept.getexif().get_ifd(0x8825) and not kept.getexif()  # no GPS, no EXIF at all
        assert max(kept.size) <= 1600

    editor = factories.User()
    helpers.call_action("organization_member_create", id=district["id"], username=editor["name"], role="editor")
    helpers.call_action("maemoh_citizen_report_decide", context={"user": editor["name"], "ignore_auth": False},
                        id=row["id"], decision="approved")
    snapshot.refresh()

    page.goto(status_link)
    expect(page.locator(".maemoh-report-status")).to_contain_text("อนุมัติแล้ว")
    assert axe_violations(page) == []
    page.goto(f"{live_server}/maemoh/")
    page.wait_for_selector("#maemoh-map[data-ready='true']")
    assert page.locator("#maemoh-map path.maemoh-report-cell").count() == 1
    assert axe_violations(page) == []
    cells = requests.get(f"{live_server}/maemoh/map.json", timeout=30).json()["reports"]["features"]
    (cell,) = cells
    assert cell["properties"]["h3_cell"] == h3.latlng_to_cell(row["latitude"], row["longitude"], 8)
    ring = cell["geometry"]["coordinates"][0]
    assert [row["longitude"], row["latitude"]] not in ring
    photo = requests.get(f"{live_server}/maemoh/reports/photo/{row['id']}", timeout=30)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"


def test_the_report_form_and_its_errors_pass_axe_in_english(district, live_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    assert page.goto(f"{live_server}/en/maemoh/report").status == 200
    page.wait_for_selector("#maemoh-report-map path.leaflet-interactive")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Send the report").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("Choose one of the kinds listed")
    assert axe_violations(page) == []
    assert _rows() == []
