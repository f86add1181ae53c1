"""The browser-test infrastructure works: a dataset created by the test is on
the live server's search page, in headless Chromium on a 360 px phone, in Thai
(the default) and in English."""
import pytest

from ckanext.maemoh.tests.browser import screenshot

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def test_dataset_search_page_on_a_phone_in_thai_and_english(
        create_dataset, live_server, browser_page):
    dataset = create_dataset()
    page = browser_page

    response = page.goto(f"{live_server}/dataset/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.lang") == "th"
    assert page.get_by_text("พบ 1 ชุดข้อมูล").is_visible()
    title = page.get_by_role("link", name=dataset["title_translated"]["th"])
    assert title.is_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "dataset-search-th-360")

    response = page.goto(f"{live_server}/en/dataset/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_text("1 dataset found").is_visible()
    assert page.get_by_role("link", name=dataset["title_translated"]["en"]).is_visible()
    screenshot(page, "dataset-search-en-360")
