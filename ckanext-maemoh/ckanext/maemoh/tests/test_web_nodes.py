"""Two web nodes behind nginx (deploy/web.sh with WEB_NODES=2, the tests'
configuration with sessions in Redis, as deploy/ckan-options.ini sets them
and test.ini does not): an editor signs in through the real form on one node and carries on
on the other with the same session and CSRF token; creates, edits, uploads
to and publishes a dataset, each step on the node the other did not serve;
a file uploaded through one node downloads through the other (one shared
ckan.storage_path); flash messages (Markup, the type Flask-Session's own
serializer failed on in CKAN 2.11) cross nodes. Every request checks the
node that answered (X-Maemoh-Node).

Its state and logs: var/test-artifacts/web-nodes/.
"""
import json
import re

import pytest
import requests

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories, helpers

from ckanext.maemoh.tests.helpers import valid_dataset
from ckanext.maemoh.tests.web_stack import REPO, web_stack

STATE = REPO / "var" / "test-artifacts" / "web-nodes"
PASSWORD = "correct horse battery staple"
POINT = json.dumps({"type": "Point", "coordinates": [99.763986, 18.250747]})
CSV = "station,pm25\nสบป้าด,41.5\nแม่เมาะ,38.0\n".encode()


@pytest.fixture(scope="module")
def nodes():
    """nginx's URL and the two nodes' own URLs (web1, web2)."""
    with web_stack(STATE, nodes=2, options={"SESSION_TYPE": "redis"}) as started:
        yield started


def get(client, url, node, **kwargs):
    return answered(client.get(url, allow_redirects=False, timeout=60, **kwargs), node)


def post(client, url, node, **kwargs):
    return answered(client.post(url, allow_redirects=False, timeout=60, **kwargs), node)


def answered(response, node):
    assert response.headers.get("X-Maemoh-Node") == node, (response.url, response.headers)
    assert response.status_code < 500, response.text[-2000:]
    return response


def csrf_token(page):
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


def hidden(page):
    """The hidden fields of the page's form (the CSRF token, CKAN's form phase) as a browser posts them."""
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page.text):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def form(dataset, **changes):
    """The dataset form's fields for ``dataset`` (valid_dataset's fields), with ``changes``."""
    fields = {
        "name": dataset["name"], "owner_org": dataset["owner_org"],
        "title_translated-th": dataset["title_translated"]["th"],
        "title_translated-en": dataset["title_translated"]["en"],
        "notes_translated-th": dataset["notes_translated"]["th"],
        "spatial": POINT, "private": "True",
        **{key: value for key, value in dataset.items()
           if key not in ("name", "owner_org", "title_translated", "notes_translated")},
    }
    return {**fields, **changes}


def stored_session(cookie):
    """The session Redis keeps for the session cookie's value (None: none)."""
    raw = connect_to_redis().get(tk.config["SESSION_KEY_PREFIX"] + cookie)
    return raw and json.loads(raw)


def found_anonymously(url, name):
    search = requests.get(f"{url}/api/3/action/package_search", params={"q": f"name:{name}"}, timeout=60)
    assert search.headers["X-Maemoh-Node"] in ("web1", "web2")
    return search.json()["result"]["count"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_an_editor_signs_in_edits_uploads_and_publishes_across_nodes(nodes):
    a, b = nodes.nodes
    editor = factories.User(password=PASSWORD)
    org = factories.Organization(agency_type="local-government",
                                 users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = valid_dataset(name="pm25-two-nodes", owner_org=org["id"])
    cookie_name = tk.config["SESSION_COOKIE_NAME"]
    client = requests.Session()  # cookies of 127.0.0.1 go to both nodes' ports

    login = get(client, f"{a}/en/user/login", "web1")
    signed_in = post(client, f"{a}/en/user/login", "web1", data={
        "login": editor["name"], "password": PASSWORD, "_csrf_token": csrf_token(login)})
    assert signed_in.status_code == 302
    session = stored_session(client.cookies[cookie_name])
    assert session["_user_id"] == editor["id"]  # server-side: the cookie holds only the id

    # the form from B, posted to A: B knew the session, A accepts B's token
    new = get(client, f"{b}/en/dataset/new", "web2")
    assert new.status_code == 200 and 'name="private"' in new.text
    created = post(client, f"{a}/en/dataset/new", "web1",
                   data={**hidden(new), **form(dataset), "save": "continue"})
    assert created.status_code == 302, created.text[-3000:]
    assert helpers.call_action("package_show", id=dataset["name"])["private"] is True

    edit = get(client, f"{b}/en/dataset/edit/{dataset['name']}", "web2")
    refused = post(client, f"{b}/en/dataset/edit/{dataset['name']}", "web2",
                   data={**hidden(edit), **form(dataset), "_csrf_token": "not-the-token"})
    assert refused.status_code in (400, 403)  # the CSRF check is real
    edited = post(client, f"{b}/en/dataset/edit/{dataset['name']}", "web2", data={
        **hidden(edit), **form(dataset, **{"title_translated-en": "Hourly PM2.5, edited on web2"}), "save": ""})
    assert edited.status_code == 302, edited.text[-3000:]
    assert helpers.call_action("package_show", id=dataset["name"])["title_translated"]["en"] == \
        "Hourly PM2.5, edited on web2"

    add = get(client, f"{a}/en/dataset/{dataset['name']}/resource/new", "web1")
    uploaded = post(client, f"{a}/en/dataset/{dataset['name']}/resource/new", "web1", data={
        **hidden(add), "name": "PM2.5", "format": "CSV", "save": "go-metadata"},
        files={"upload": ("pm25.csv", CSV, "text/csv")})
    assert uploaded.status_code == 302, uploaded.text[-3000:]
    resource = helpers.call_action("package_show", id=dataset["name"])["resources"][0]
    download = get(client, f"{b}/dataset/{dataset['name']}/resource/{resource['id']}/download/pm25.csv", "web2")
    assert download.status_code == 200 and download.content == CSV
    assert found_anonymously(nodes.url, dataset["name"]) == 0  # still private

    edit = get(client, f"{b}/en/dataset/edit/{dataset['name']}", "web2")
    published = post(client, f"{a}/en/dataset/edit/{dataset['name']}", "web1", data={
        **hidden(edit), **form(dataset, private="False", **{"title_translated-en": "Hourly PM2.5, edited on web2"}),
        "save": ""})
    assert published.status_code == 302, published.text[-3000:]
    shown = helpers.call_action("package_show", id=dataset["name"])
    assert (shown["private"], shown["state"], len(shown["resources"])) == (False, "active", 1)
    assert found_anonymously(nodes.url, dataset["name"]) == 1
    anonymous = requests.get(f"{nodes.url}/dataset/{dataset['name']}/resource/{resource['id']}/download/pm25.csv",
                             timeout=60)
    assert anonymous.content == CSV and anonymous.headers["X-Maemoh-Node"] in ("web1", "web2")


@pytest.mark.usefixtures("clean_db")
def test_flash_messages_with_markup_cross_nodes(nodes):
    a, b = nodes.nodes
    editor = factories.User(password=PASSWORD)
    client = requests.Session()
    # CKAN flashes every message as Markup; Flask-Session's msgpack made a 500 of it
    refused = get(client, f"{a}/en/dashboard/datasets", "web1")
    assert refused.status_code == 302
    assert "Not authorized to see this page" in get(client, f"{b}/en/user/login", "web2").text

    login = get(client, f"{b}/en/user/login", "web2")
    post(client, f"{b}/en/user/login", "web2", data={
        "login": editor["name"], "password": PASSWORD, "_csrf_token": csrf_token(login)})
    tokens = get(client, f"{a}/en/user/{editor['name']}/api-tokens", "web1")
    post(client, f"{a}/en/user/{editor['name']}/api-tokens", "web1",
         data={"name": "harvests", "_csrf_token": csrf_token(tokens)})
    shown = get(client, f"{b}/en/user/{editor['name']}/api-tokens", "web2").text
    token = re.search(r'<code style="word-break:break-all;">([^<]+)</code>', shown)  # HTML kept, not escaped
    assert token, shown[-3000:]
    assert helpers.call_action("api_token_list", context={"user": editor["name"]},
                               user_id=editor["name"])[0]["name"] == "harvests"


def test_anonymous_readers_get_no_session_and_the_micro_cache(nodes):
    """Redis sessions open none for an anonymous reader, so nginx's micro-cache keeps serving them."""
    pages = [requests.get(f"{nodes.url}/maemoh/", timeout=60) for _ in range(3)]
    assert [page.status_code for page in pages] == [200] * 3
    assert all("Set-Cookie" not in page.headers for page in pages)
    assert pages[-1].headers["X-Cache-Status"] == "HIT"
    for node, name in zip(nodes.nodes, ("web1", "web2")):
        assert "Set-Cookie" not in get(requests.Session(), f"{node}/maemoh/", name).headers
