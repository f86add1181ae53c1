"""An editor uploads a Windows-Thai CSV through CKAN's resource form, in
headless Chromium on a phone; a real worker loads it into the DataStore; the
resource page then shows the table in its DataTables view."""
import pytest

from ckan.tests import factories, helpers

from ckanext.maemoh.tests.browser import ckan_server, screenshot
from ckanext.maemoh.tests.helpers import THAI_ROWS, TOKEN_OPTION, csv_text, derived_ini, xloader_worker

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")
PASSWORD = "correct horse battery staple"


def test_a_table_uploaded_through_the_form_is_loaded_and_shown(create_dataset, browser_page, tmp_path):
    dataset = create_dataset()
    editor = factories.Sysadmin(password=PASSWORD)
    token = helpers.call_action("api_token_create", context={"user": editor["name"]},
                                user=editor["name"], name="xloader")["token"]
    # this server queues xloader's jobs with the token, as `make run` does
    with ckan_server(derived_ini(tmp_path / "site.ini", {TOKEN_OPTION: token}), "uploads-site.log") as site:
        page = browser_page
        page.goto(f"{site}/user/login")
        page.fill("#field-login", editor["name"])
        page.fill("#field-password", PASSWORD)
        with page.expect_navigation():
            page.press("#field-password", "Enter")
        page.goto(f"{site}/dataset/{dataset['name']}/resource/new")
        with page.expect_file_chooser() as chooser:
            page.click("#resource-upload-button")
        chooser.value.set_files(files=[{"name": "pm25-2568.csv", "mimeType": "text/csv",
                                        "buffer": csv_text(THAI_ROWS).encode("cp874")}])
        page.fill("#field-name", "ฝุ่น PM2.5 รายวัน")
        page.click("button[name=save][value=go-dataset-complete]")
        page.wait_for_url(f"{site}/dataset/{dataset['name']}")

        xloader_worker(derived_ini(tmp_path / "worker.ini", {"ckanext.xloader.site_url": site}))
        resource = helpers.call_action("package_show", id=dataset["id"])["resources"][0]
        assert resource["format"] == "CSV" and resource["datastore_active"]
        page.goto(f"{site}/dataset/{dataset['name']}/resource/{resource['id']}")
        table = page.frame_locator("iframe").first
        table.get_by_text("ฝุ่นสูง “ระวัง”").wait_for()
        assert table.get_by_text("สบป้าด").is_visible() and table.get_by_text("ค่าตรวจวัด €5").is_visible()
        screenshot(page, "upload-cp874-table-th-360")
