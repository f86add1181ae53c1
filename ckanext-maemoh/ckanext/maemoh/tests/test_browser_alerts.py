"""Signing up for warnings in a real browser (headless Chromium, a 360 px
phone) against a real CKAN server over HTTP: the confirmation arrives at a
real SMTP server, its link confirms, the one-click POST of the e-mail's
List-Unsubscribe header deletes everything; every page passes axe-core
(WCAG 2 A/AA) in Thai and English."""
import re

import pytest
import requests
import sqlalchemy as sa

from ckanext.maemoh.alerting import deliver, model
from ckanext.maemoh.tests.browser import axe_violations, screenshot
from ckanext.maemoh.tests.test_alerts import site, sink  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues")
ADDRESS = "phone@example.org"


def _subscriptions():
    with model.engine().connect() as conn:
        return conn.execute(sa.select(model.subscription)).mappings().all()


def test_a_resident_signs_up_on_a_phone_confirms_and_unsubscribes_in_one_click(
        site, live_server, browser_page, ckan_config, monkeypatch):
    from playwright.sync_api import expect

    page = browser_page
    assert page.goto(f"{live_server}/maemoh/alerts").status == 200
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("checkbox", name="แม่เมาะ").check()
    page.get_by_label("คุณภาพอากาศตอนนี้").select_option("4")
    page.get_by_label("ที่อยู่อีเมล").fill(ADDRESS)
    page.get_by_role("button", name="สมัครรับการแจ้งเตือน").click()
    expect(page.get_by_role("alert")).to_be_visible()  # no consent: the form again, with the error
    assert axe_violations(page) == []
    page.get_by_label("ฉันยินยอมให้เก็บที่อยู่และตัวเลือกของฉันไว้เพื่อส่งการแจ้งเตือนนี้").check()
    page.get_by_role("button", name="สมัครรับการแจ้งเตือน").click()
    expect(page.locator("h1")).to_have_text("กรุณาตรวจสอบอีเมลของคุณ")
    screenshot(page, "alerts-signup-th-360")
    assert [row["status"] for row in _subscriptions()] == ["pending"]

    monkeypatch.setitem(ckan_config, "ckan.site_url", live_server)  # the links the e-mail carries
    deliver.deliver_due()
    (mail,) = site.messages()
    text = mail.get_body(("plain",)).get_content()
    (confirm,) = set(re.findall(r"https?://\S+/maemoh/alerts/confirm/\S+", text))
    assert confirm.startswith(live_server)
    page.goto(confirm)
    assert axe_violations(page) == []
    page.get_by_role("button", name="ใช่ ส่งการแจ้งเตือนให้ฉัน").click()
    expect(page.locator("h1")).to_have_text("เริ่มรับการแจ้งเตือนแล้ว")
    assert [row["status"] for row in _subscriptions()] == ["confirmed"]

    (unsubscribe,) = re.findall(r"<(https?://[^>]+/unsubscribe/[^>]+)>", mail["List-Unsubscribe"])
    answer = requests.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=30)
    assert answer.status_code == 200
    assert _subscriptions() == []


def test_the_warnings_page_passes_axe_in_english(site, live_server, browser_page):
    page = browser_page
    assert page.goto(f"{live_server}/en/maemoh/alerts").status == 200
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
