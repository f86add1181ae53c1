import json
import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_explore(app, create_dataset):
    ds = create_dataset(
        theme=["air", "fire"],
        spatial=json.dumps({"type": "Point", "coordinates": [99.66, 18.28]}),
        temporal_start="2024-01-01", temporal_end="2024-12-31",
        maintainer="Air desk", maintainer_email="air@example.org",
        variables=[{"variable": "pm25", "unit": "ug/m3", "averaging_period": "PT1H"}],
    )
    print(json.dumps(ds, ensure_ascii=False, indent=1))
    r = app.get(f"/dataset/{ds['name']}.ttl")
    print(r.status_code)
    print(r.get_data(as_text=True))
    r = app.get("/catalog.ttl")
    print(r.get_data(as_text=True))
