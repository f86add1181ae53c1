"""The guard of outgoing requests, with real sockets on this machine: only
http(s), no internal address (checked on what a host resolves to and on
the connected peer, on every redirect hop) unless the host is allowed, refusals never retried, error
bodies as short clean excerpts.
"""
import contextlib
import re
import socket

import pytest
import requests

from ckanext.maemoh.harvesters import egress, http
from ckanext.maemoh.harvesters.http import SourceError
from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

ALLOW = "an operator may allow the host with ckanext.maemoh.harvest.allowed_hosts"


@pytest.fixture(autouse=True)
def replay_servers_allowed():
    """Overrides the suite's: each test starts and ends with the default,
    nothing allowed."""
    egress.allow_hosts([])
    yield
    egress.allow_hosts([])


@contextlib.contextmanager
def listener(host="127.0.0.1"):
    """A bare TCP listener (the kernel completes the connections, nobody
    answers): yields its port and a function giving what each connection
    made so far has sent."""
    with socket.create_server((host, 0)) as server:
        server.setblocking(False)

        def sent():
            received = []
            while True:
                try:
                    connection, _ = server.accept()
                except BlockingIOError:
                    return received
                with connection:
                    connection.settimeout(5)
                    received.append(connection.recv(4096))

        yield server.getsockname()[1], sent


def no_retry(seconds):
    pytest.fail(f"retried after {seconds} s")


def ok(request):
    return json_answer('{"ok": true}')


def redirect(location):
    return lambda request: (302, {"Location": location}, b"")


# --- what is refused ------------------------------------------------------------

@pytest.mark.parametrize("address, kind", [
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("100.64.0.1", "shared"), ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"), ("127.0.0.2", "loopback"), ("192.0.0.1", "private"),
    ("198.18.0.1", "private"), ("240.0.0.1", "private"), ("255.255.255.255", "private"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"), ("fec0::1", "site-local"), ("2001:db8::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"), ("2002:7f00:1::", "loopback"),
    ("::7f00:1", "reserved"), ("100::1", "private"),
    ("8.8.8.8", None), ("1.1.1.1", None), ("2001:4860:4860::8888", None),
    ("::ffff:8.8.8.8", None), ("2002:808:808::", None),
])
def test_address_classes(address, kind):
    assert egress.address_class(address) == kind


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_loopback_server_is_refused_once_before_anything_is_sent(scheme):
    with listener() as (port, sent):
        with pytest.raises(SourceError, match=re.escape(
                f"GET {scheme}://127.0.0.1:{port}/x: refused: 127.0.0.1 is a loopback address; "
                + ALLOW)):
            http.get(f"{scheme}://127.0.0.1:{port}/x", sleep=no_retry)
        assert sent() == []  # refused on resolution: not even a connection


def test_the_ipv6_loopback_is_refused():
    """Refused on resolution, so no IPv6 listener is needed on this machine."""
    with pytest.raises(SourceError, match=re.escape("refused: ::1 is a loopback address")):
        http.get("http://[::1]:9/", sleep=no_retry)


def test_an_ipv4_mapped_ipv6_address_is_refused_as_its_ipv4_address():
    egress.allow_hosts(["127.0.0.1"])   # the host as written is what an entry allows
    with listener() as (port, sent):
        with pytest.raises(SourceError, match=re.escape(
                "refused: ::ffff:127.0.0.1 is a loopback address")):
            http.get(f"http://[::ffff:127.0.0.1]:{port}/", sleep=no_retry)
        assert sent() == []


@pytest.mark.parametrize("host, address, kind", [
    ("localhost", "127.0.0.1", "a loopback"), ("0.0.0.0", "0.0.0.0", "an unspecified"),
    ("127.1", "127.0.0.1", "a loopback"), ("2130706433", "127.0.0.1", "a loopback")])
def test_a_host_is_checked_on_the_addresses_it_resolves_to(host, address, kind):
    """What the resolver answers counts (no spelling to parse): these reach
    127.0.0.1 or 0.0.0.0, refused though 127.0.0.1 is allowed, for an entry
    allows a host as written; refused before any connection."""
    with listener() as (port, sent):
        session = egress.GuardedSession(allowed=[f"127.0.0.1:{port}"])
        shown = host if host == address else f"{host} ({address})"
        with pytest.raises(SourceError, match=re.escape(f"refused: {shown} is {kind} address")):
            http.get(f"http://{host}:{port}/", session=session, sleep=no_retry)
        assert sent() == []


def test_a_name_that_rebinds_is_checked_on_the_address_connected(monkeypatch):
    """DNS rebinding: the lookup of the check answers a public address, the
    lookup of the connection answers loopback; the connected peer is refused
    before anything is sent."""
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0))]])

    def rebinding(host, *args, **kwargs):
        return next(answers, None) or real("127.0.0.1", *args, **kwargs)

    with listener() as (port, sent):
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        with pytest.raises(SourceError, match=re.escape(
                "refused: rebind.example (127.0.0.1) is a loopback address")):
            http.get(f"http://rebind.example:{port}/", session=egress.GuardedSession(), sleep=no_retry)
        monkeypatch.undo()
        assert sent() == [b""]  # one connection, no request


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://example.org/data.csv",
    "FILE:///etc/passwd", "dict://127.0.0.1:11211/stats",
])
def test_only_http_and_https_addresses(url):
    message = f"only http and https addresses may be harvested: {url}"
    with pytest.raises(SourceError, match=re.escape(message)):
        http.get(url, session=requests.Session(), sleep=no_retry)
    with pytest.raises(egress.Refused, match=re.escape(message)):
        egress.GuardedSession().get(url)


# --- what an operator allows ----------------------------------------------------

def test_a_listed_host_is_fetched():
    with ReplayServer(ok) as server:
        port = server.url.rsplit(":", 1)[1]
        for entries in (["127.0.0.1"], [f"127.0.0.1:{port}"], ["example.org", "127.0.0.1."]):
            egress.allow_hosts(entries)
            assert http.get(server.url + "/x").json() == {"ok": True}
        for entries in (["127.0.0.1:1"], ["localhost"], []):
            egress.allow_hosts(entries)
            with pytest.raises(SourceError, match="is a loopback address"):
                http.get(server.url + "/x", sleep=no_retry)
        session = egress.GuardedSession(allowed=[f"127.0.0.1:{port}"])
        assert http.get(server.url + "/y", session=session).json() == {"ok": True}
    assert [r.path for r in server.requests] == ["/x", "/x", "/x", "/y"]


@pytest.mark.parametrize("entries, hosts", [
    (["127.0.0.1:8765", "Data.Example.ORG.", "[::1]:8080", "[FD00::1]"],
     {("127.0.0.1", 8765), ("data.example.org", None), ("::1", 8080), ("fd00::1", None)}),
    ([" example.org:443 "], {("example.org", 443)}),
    ("127.0.0.1:8765  example.org\n", {("127.0.0.1", 8765), ("example.org", None)}),
    ([], set()),
])
def test_allowed_host_entries(entries, hosts):
    assert egress.parse_hosts(entries) == hosts


@pytest.mark.parametrize("entry", [
    "http://example.org", "example.org/path", "example.org:http", "example.org:99999",
    "::1", "[::1", "user@example.org", "",
])
def test_a_malformed_entry_is_refused_naming_it(entry):
    with pytest.raises(ValueError, match=re.escape(f"{entry!r} is not a host or host:port")):
        egress.allow_hosts(["example.org", entry])


# --- redirects and proxies -------------------------------------------------------

def test_redirects_are_followed_and_every_hop_is_checked():
    """An allowed server sends one request on to itself, another to a server
    on a port that is not allowed."""
    with ReplayServer(ok) as inside:
        routes = {"/hop": redirect("/end"), "/inside": redirect(inside.url + "/secret")}
        with ReplayServer(lambda r: routes.get(r.path, ok)(r)) as allowed:
            session = egress.GuardedSession(allowed=[allowed.url.removeprefix("http://")])
            assert http.get(allowed.url + "/hop", session=session).json() == {"ok": True}
            with pytest.raises(SourceError, match=re.escape(
                    f"GET {allowed.url}/inside: refused: 127.0.0.1 is a loopback address")):
                http.get(allowed.url + "/inside", session=session, sleep=no_retry)
    assert [r.path for r in allowed.requests] == ["/hop", "/end", "/inside"]
    assert inside.requests == []


def test_a_redirect_to_another_scheme_is_refused():
    with ReplayServer(redirect("file:///etc/passwd")) as server:
        session = egress.GuardedSession(allowed=["127.0.0.1"])
        with pytest.raises(SourceError, match=re.escape(
                "only http and https addresses may be harvested: file:///etc/passwd")):
            http.get(server.url + "/", session=session, sleep=no_retry)
    assert len(server.requests) == 1


def test_redirects_are_capped():
    with ReplayServer(redirect("/again")) as server:
        session = egress.GuardedSession(allowed=["127.0.0.1"])
        with pytest.raises(SourceError, match="TooManyRedirects"):
            http.get(server.url + "/", session=session, sleep=no_retry)
    assert len(server.requests) == egress.MAX_REDIRECTS + 1


def test_environment_proxies_do_not_bypass_the_check(monkeypatch):
    """An allowed proxy in the environment would carry any request inside."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ReplayServer(ok) as proxy, listener() as (port, sent):
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        egress.allow_hosts([proxy.url.removeprefix("http://")])
        with pytest.raises(SourceError, match="refused: 127.0.0.1 is a loopback address"):
            http.get(f"http://127.0.0.1:{port}/", sleep=no_retry)
        assert sent() == []
    assert proxy.requests == []


# --- error bodies -----------------------------------------------------------------

def test_an_error_body_is_kept_as_a_short_clean_excerpt():
    body = ("<h1>Not\x00 found</h1>\r\n\t\x1b[31m  \u202eredis_version:7.2\n" * 100).encode()
    html = {"Content-Type": "text/html; charset=utf-8"}
    egress.allow_hosts(["127.0.0.1"])
    with ReplayServer(lambda request: (404, html, body)) as server:
        with pytest.raises(SourceError) as error:
            http.get(server.url + "/missing", sleep=no_retry)
    kept = str(error.value).split(": HTTP 404: ", 1)[1]
    assert len(kept) == 200 and kept.endswith("…")
    assert kept.startswith("<h1>Not found</h1> [31m redis_version:7.2 <h1>Not found</h1>")
    assert not re.search(r"[\x00-\x1f\x7f\u202e]|\s\s", kept)


@pytest.mark.parametrize("text, kept", [
    ("  plain\n\ntext ", "plain text"),
    ("ไม่พบ\u200bข้อมูล\x07", "ไม่พบข้อมูล"),
    ("x" * 200, "x" * 200),
    ("x" * 201, "x" * 199 + "…"),
    ("", ""),
])
def test_excerpts(text, kept):
    assert http.excerpt(text) == kept
