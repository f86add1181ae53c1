"""Dates in the Thai interface are in the Buddhist Era, in Bangkok time
(thai_dates.py and the chained h.render_datetime); English is CKAN's."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from ckan.tests import factories, helpers
from ckanext.maemoh.thai_dates import thai_date
from ckanext.maemoh.tests.helpers import TYPE_FIELDS, valid_dataset

UTC = dt.timezone.utc


@pytest.mark.parametrize("when, options, expected", [
    (dt.datetime(2026, 12, 5, 7, 0, tzinfo=UTC), {}, "5 ธันวาคม 2569"),
    (dt.datetime(2026, 12, 5, 7, 0, tzinfo=UTC), {"with_hours": True}, "5 ธันวาคม 2569 เวลา 14:00 น."),
    (dt.datetime(2026, 12, 5, 7, 0, 31), {"with_seconds": True}, "5 ธันวาคม 2569 เวลา 14:00:31 น."),  # naive: UTC
    # Bangkok's date, not UTC's: 20:30 UTC on 31 December is New Year's Day there
    (dt.datetime(2026, 12, 31, 20, 30, tzinfo=UTC), {"with_hours": True}, "1 มกราคม 2570 เวลา 03:30 น."),
    (dt.datetime(2025, 2, 1, 9, 5, tzinfo=ZoneInfo("Europe/London")), {"with_hours": True},
     "1 กุมภาพันธ์ 2568 เวลา 16:05 น."),
])
def test_thai_dates(when, options, expected):
    assert thai_date(when, **options) == expected


@pytest.fixture
def dataset(create_dataset):
    return create_dataset(temporal_start="2025-03-01", temporal_end="2025-11-30", last_updated_date="2025-12-02",
                          resources=[{"name": "Observations", "url": "https://example.org/pm25.csv",
                                      "format": "CSV"}])


def test_a_dataset_page_in_thai_shows_buddhist_era_dates(app, dataset):
    modified = dt.datetime.fromisoformat(dataset["metadata_modified"]).replace(tzinfo=UTC)
    thai = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
    for date in ("1 มีนาคม 2568", "30 พฤศจิกายน 2568", "2 ธันวาคม 2568",
                 thai_date(modified, with_hours=True)):
        assert date in thai, date
    assert "ค.ศ." not in thai and not re.search(r"\b2025\b", thai)
    assert "automatic-local-datetime" not in thai  # CKAN's script would write the Common Era back

    english = app.get(f"/en/dataset/{dataset['name']}").get_data(as_text=True)
    assert "2025-03-01" in english and "2568" not in english
    assert 'class="automatic-local-datetime"' in english

    resource = dataset["resources"][0]
    page = app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}").get_data(as_text=True)
    assert thai_date(dt.datetime.fromisoformat(resource["created"])) in page and "ค.ศ." not in page


def test_a_station_page_shows_its_first_observation_in_bangkok_time(app, organization):
    station = helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                                  **valid_dataset(type="sensor-station", name="air4thai-station-38t",
                                                  owner_org=organization["id"], **TYPE_FIELDS["sensor-station"]))
    thai = app.get(f"/sensor-station/{station['name']}").get_data(as_text=True)
    assert "1 มกราคม 2563 เวลา 00:00 น." in thai  # 2020-01-01T00:00:00+07:00
    english = app.get(f"/en/sensor-station/{station['name']}").get_data(as_text=True)
    assert "2020-01-01 00:00" in english
