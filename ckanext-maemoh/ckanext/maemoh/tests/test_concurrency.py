"""Our pages and actions under parallel clients (a real threaded web server):
no request fails with a server error (issue 11, finding 8)."""
import concurrent.futures
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.usefixtures("clean_index", "clean_queues", "clean_risk")
CLIENTS = 12
PATHS = ("/maemoh/tambon/520204", "/maemoh/", "/api/3/action/maemoh_guidance?tambon=520204",
         "/api/3/action/maemoh_aqi_latest", "/maemoh/net-zero")


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_clients_get_no_server_error(portal, live_server):
    urls = [live_server + path for path in PATHS for _ in range(CLIENTS)]
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(_status, urls))
    failed = {url: status for url, status in zip(urls, statuses) if status >= 500}
    assert not failed, failed
    assert set(statuses) == {200}
