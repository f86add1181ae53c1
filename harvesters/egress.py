"""Where harvests may connect: public addresses, and the hosts an operator allows.

Harvest sources are configured by users, so their addresses must not reach
into the server's own network (SSRF). A :class:`GuardedSession`:

- speaks http and https only;
- checks the address each connection actually reached, right after the TCP
  connect and before anything is sent, on every redirect hop (so DNS answers
  that change between a lookup and the connect do not matter), and refuses
  loopback, private, link-local, multicast, unspecified, reserved, shared
  (100.64.0.0/10) and other non-global addresses, IPv4 ones inside IPv6
  (``::ffff:127.0.0.1``, 6to4) included;
- follows at most :data:`MAX_REDIRECTS` redirects and ignores the
  environment's proxies and ``.netrc``.

A refusal raises :class:`Refused`, which is no connection error: nothing
retries it. Allowed hosts skip the address check: entries ``host`` (any port)
or ``host:port``, matched against the host as written in the URL (IPv6 in
brackets: ``[fd00::1]:8080``), not against the address it resolves to. The
process-wide entries are set by :func:`allow_hosts` (the CKAN glue does, at
start-up, from ``ckanext.maemoh.harvest.allowed_hosts``); a session may be
given its own.
"""
import ipaddress
import socket
import urllib.parse

import requests
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

OPTION = "ckanext.maemoh.harvest.allowed_hosts"
SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
# Shared address space (carrier-grade NAT): neither private nor global.
SHARED = ipaddress.ip_network("100.64.0.0/10")

_allowed = frozenset()


class Refused(Exception):
    """An address harvests may not fetch; the message says why."""


def allow_hosts(entries):
    """Allow ``entries`` (``host`` or ``host:port``) in the sessions made
    from now on, instead of the previous ones; ValueError for a malformed
    entry."""
    global _allowed
    _allowed = parse_hosts(entries)


def parse_hosts(entries):
    """``{(host, port or None)}`` of ``host``/``host:port`` entries (a list,
    or a text of entries separated by spaces), hosts in lower case without
    brackets or a final dot."""
    if isinstance(entries, str):
        entries = entries.split()
    return frozenset(_host_and_port(entry) for entry in entries)


def _host_and_port(entry):
    entry = entry.strip()
    try:
        parts = urllib.parse.urlsplit(f"//{entry}")
        if parts.hostname and parts.netloc == entry and "@" not in entry:
            return parts.hostname.rstrip("."), parts.port
    except ValueError:
        pass
    raise ValueError(f"{OPTION}: {entry!r} is not a host or host:port "
                     "(IPv6 in brackets: [fd00::1]:8080)")


def address_class(address):
    """Why harvests may not connect to the IP ``address`` ("loopback",
    "private", ...), or None for a global address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    classes = (
        ("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
        ("shared", ip in SHARED), ("private", ip.is_private), ("reserved", ip.is_reserved),
        ("site-local", ip.version == 6 and ip.is_site_local),
        ("non-global", not ip.is_global),
    )
    return next((name for name, applies in classes if applies), None)


def check_scheme(url):
    """Refused unless ``url`` is an http or https address."""
    if urllib.parse.urlsplit(url).scheme.lower() not in SCHEMES:
        raise Refused(f"only http and https addresses may be harvested: {url}")


class GuardedSession(requests.Session):
    """A ``requests.Session`` that fetches public addresses only, and the
    ``allowed`` hosts (default: the process-wide ones, as they are now)."""

    def __init__(self, allowed=None):
        super().__init__()
        self.trust_env = False
        self.max_redirects = MAX_REDIRECTS
        adapter = _GuardedAdapter(_allowed if allowed is None else parse_hosts(allowed))
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_adapter(self, url):
        check_scheme(url)
        return super().get_adapter(url)


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allowed):
        self.allowed = allowed
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=DEFAULT_POOLBLOCK, **pool_kwargs):
        self.poolmanager = _GuardedPoolManager(
            self.allowed, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs)


class _GuardedPoolManager(PoolManager):
    """Pools of hosts that are not allowed check the peer of each connection."""

    def __init__(self, allowed, **kwargs):
        super().__init__(**kwargs)
        self.allowed = allowed

    def _new_pool(self, scheme, host, port, request_context=None):
        pool = super()._new_pool(scheme, host, port, request_context)
        name = pool.host.rstrip(".")
        if (name, pool.port) not in self.allowed and (name, None) not in self.allowed:
            pool.ConnectionCls = _CHECKED[scheme]
        return pool


class _PeerCheck:
    """Refuses a host whose addresses are not all global before connecting
    (no probe of an internal port), and a connection whose peer is not
    global before sending (the name may resolve differently the second time)."""

    def _new_conn(self):
        try:
            found = {info[4][0] for info in socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)}
        except OSError:
            found = set()  # the connection attempt reports it
        for address in sorted(found):
            self._check(address)
        sock = super()._new_conn()
        try:
            self._check(sock.getpeername()[0])
        except Refused:
            sock.close()
            raise
        return sock

    def _check(self, address):
        kind = address_class(address)
        if kind:
            host = address if self.host == address else f"{self.host} ({address})"
            raise Refused(f"refused: {host} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                          f"address; an operator may allow the host with {OPTION}")


class _CheckedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


_CHECKED = {"http": _CheckedHTTPConnection, "https": _CheckedHTTPSConnection}
