"""The production web stack of `make run`, started from the deploy/ files
(deploy/web.sh: gunicorn with deploy/web/gunicorn.conf.py behind nginx with
the site rendered from deploy/web/maemoh-site.conf) against the test
configuration: nginx serves static files itself and compresses JSON; many
concurrent clients get no server error; the micro-cache answers anonymous
readers and never a request carrying a session cookie or an API token;
stopping leaves no process behind.

Its state and logs: var/test-artifacts/web-stack/ (nginx and gunicorn log
there, not in var/log/).
"""
import concurrent.futures
import uuid

import pytest
import requests

import ckan.plugins.toolkit as tk
from ckan.tests import factories

from ckanext.maemoh.tests.web_stack import REPO, web_stack

STATE = REPO / "var" / "test-artifacts" / "web-stack"
CLIENTS = 48
PAGES = ("/maemoh/", "/dataset/", "/api/3/action/package_search")


@pytest.fixture(scope="module")
def stack():
    """The base URL of the stack, started once for the module; stopped after
    it, checking that no process of it remains."""
    with web_stack(STATE) as started:
        yield started.url
    running = started.processes.values()
    assert [c for c in running if c.startswith("nginx: worker")], running
    assert len([c for c in running if "gunicorn" in c]) > 1, running  # a master and its workers


def gunicorn_log():
    return (STATE / "log" / "gunicorn.log").read_text()


def test_nginx_serves_static_files_itself_and_compresses_json(stack):
    logo = requests.get(f"{stack}/base/images/ckan-logo.png", timeout=30)
    from_ckan = requests.get(f"{stack}/robots.txt", timeout=30)  # a route of CKAN's, not a file
    assert logo.status_code == from_ckan.status_code == 200
    assert logo.headers["Server"].startswith("nginx") and logo.content.startswith(b"\x89PNG")
    log = gunicorn_log()
    assert " 200 /robots.txt " in log and "ckan-logo.png" not in log

    page = requests.get(f"{stack}/", timeout=60)
    asset = next(part.split('"')[0] for part in page.text.split('href="')[1:] if part.startswith("/webassets/"))
    css = requests.get(stack + asset, timeout=60)  # written by CKAN as it rendered the page
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert asset not in gunicorn_log()

    status = requests.get(f"{stack}/api/3/action/status_show", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert status.headers["Content-Type"].startswith("application/json")
    assert status.headers["Content-Encoding"] == "gzip" and status.json()["success"]


def test_concurrent_anonymous_clients_get_no_server_error(stack):
    def client(number):
        statuses = []
        with requests.Session() as session:
            for page in PAGES[number % 3:] + PAGES[:number % 3]:
                statuses.append((page, session.get(stack + page, timeout=120).status_code))
        return statuses

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for statuses in pool.map(client, range(CLIENTS)) for answer in statuses]
    assert len(answers) == CLIENTS * len(PAGES)
    assert [answer for answer in answers if answer[1] != 200] == []


def test_the_micro_cache_answers_anonymous_readers_only(stack):
    anonymous = [requests.get(f"{stack}/maemoh/", timeout=60) for _ in range(3)]
    assert [r.status_code for r in anonymous] == [200] * 3
    assert anonymous[-1].headers["X-Cache-Status"] == "HIT"
    assert all("Set-Cookie" not in r.headers for r in anonymous)

    name = f"web-stack-{uuid.uuid4().hex[:8]}"
    user = factories.User(name=name, email=f"{name}@example.org")
    token = factories.APIToken(user=user["name"])["token"]
    for headers in ({"Cookie": f"{tk.config['SESSION_COOKIE_NAME']}=a-session"}, {"Authorization": token}):
        for _ in range(3):
            for path in ("/maemoh/", "/api/3/action/maemoh_aqi_latest"):
                response = requests.get(stack + path, headers=headers, timeout=60)
                assert response.status_code == 200
                assert response.headers["X-Cache-Status"] == "BYPASS", (path, headers)
    signed_in = requests.get(f"{stack}/maemoh/", headers={"Authorization": token}, timeout=60)
    assert name in signed_in.text and "private" in signed_in.headers["Cache-Control"]
    after = requests.get(f"{stack}/maemoh/", timeout=60)
    assert after.headers["X-Cache-Status"] in ("HIT", "MISS", "EXPIRED", "UPDATING", "STALE")
    assert name not in after.text

    health = [requests.get(f"{stack}/maemoh/health", timeout=60) for _ in range(2)]
    assert "X-Cache-Status" not in health[-1].headers
