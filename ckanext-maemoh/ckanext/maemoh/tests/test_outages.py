"""While Solr cannot be reached, pages and the Action API answer 503 with a
short explanation in Thai and English and ``Retry-After``: no traceback,
no internals; once it is back, they answer as before. The residents' pages,
which read only the snapshot, go on answering."""
import socket

import pytest
from ckan.lib.search.common import SolrSettings

from ckanext.maemoh.health import outages
from ckanext.maemoh.residents import snapshot

pytestmark = pytest.mark.usefixtures("clean_index")


@pytest.fixture
def solr_unreachable(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(SolrSettings, "_url", f"http://127.0.0.1:{port}/solr/ckan_test")
    return port


@pytest.mark.parametrize("url", ["/", "/dataset/", "/en/dataset/?q=ฝุ่น"])
def test_a_page_answers_503_in_thai_and_english(app, district, solr_unreachable, url):
    response = app.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == str(outages.RETRY_AFTER_S)
    assert outages.TEXT["th"][0] in body and outages.TEXT["en"][0] in body
    assert str(solr_unreachable) not in body and "Traceback" not in body and "solr" not in body.lower()


@pytest.fixture
def snapshot_taken(district):
    return snapshot.refresh()


def test_the_residents_pages_go_on_from_the_snapshot(app, snapshot_taken, solr_unreachable):
    for url in ("/maemoh/", "/en/maemoh/tambon/520204", "/api/3/action/maemoh_aqi_latest"):
        assert app.get(url).status_code == 200, url


def test_the_action_api_answers_503_as_json(app, district, solr_unreachable):
    response = app.get("/api/3/action/package_search", query_string={"q": "air"})
    assert response.status_code == 503
    assert response.json == {"success": False, "error": {
        "__type": "Service Unavailable", "message": outages.TEXT["en"][1]}}


def test_pages_answer_again_once_it_is_back(app, district):
    assert app.get("/dataset/").status_code == 200
