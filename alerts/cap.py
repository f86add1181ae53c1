"""CAP 1.2 messages and their Atom feed.

``to_xml`` writes a ``Message`` as an OASIS CAP 1.2 ``<alert>`` and
validates it against the schema shipped in ``data/`` (see CAP-SOURCE.md)
before returning it. Times are written in Bangkok time as
``YYYY-MM-DDThh:mm:ss+07:00`` (CAP forbids "Z" and fractional seconds;
fractions are dropped). Polygons are given as (lon, lat) rings and written
exactly, closed, as "lat,lon" pairs to 5 decimals; every info carries one
area with the message's polygons and geocodes. ``feed`` writes an Atom 1.0
feed (RFC 4287) linking to the messages.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from importlib.resources import files

from lxml import etree

NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
CAP_MIME = "application/cap+xml"
BANGKOK = dt.timezone(dt.timedelta(hours=7))
LANGUAGES = ("th-TH", "en-US")
_FORBIDDEN = (" ", ",", "<", "&")


class Invalid(ValueError):
    """The XML is not a valid CAP 1.2 alert; ``errors`` lists why."""

    def __init__(self, errors):
        self.errors = tuple(errors)
        super().__init__("invalid CAP 1.2 alert: " + "; ".join(self.errors))


@dataclasses.dataclass(frozen=True)
class Info:
    """One language's text of a message (CAP ``<info>``)."""
    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    onset: dt.datetime
    expires: dt.datetime
    sender_name: str
    web: str | None
    area_desc: str
    parameters: tuple = ()          # (valueName, value) pairs


@dataclasses.dataclass(frozen=True)
class Message:
    """A CAP alert; ``polygons`` are (lon, lat) rings, ``references`` (sender, identifier, sent)."""
    identifier: str
    sender: str
    sent: dt.datetime
    status: str                     # Actual | Test | Exercise
    msg_type: str                   # Alert | Update | Cancel
    scope: str = "Public"
    references: tuple = ()
    infos: tuple = ()
    polygons: tuple = ()
    geocodes: tuple = ()            # (valueName, value) pairs
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class Entry:
    """One Atom entry: ``id`` a tag: or urn: URI, ``url`` the CAP message's own URL."""
    id: str
    title: str
    updated: dt.datetime
    url: str
    summary: str


def cap_time(value) -> str:
    """An aware datetime as CAP writes it: Bangkok time, whole seconds, ``+07:00``."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"CAP times must be timezone-aware datetimes (no 'Z' strings), not {value!r}")
    return value.astimezone(BANGKOK).replace(microsecond=0).isoformat()


def _token(what: str, value: str) -> str:
    if not value or any(c in value for c in _FORBIDDEN):
        raise ValueError(f"CAP {what} must be non-empty without spaces, commas, '<' or '&': {value!r}")
    return value


def _polygon(ring) -> str:
    points = [(round(lat, 5), round(lon, 5)) for lon, lat in ring]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise ValueError(f"a CAP polygon needs at least 3 distinct vertices: {ring!r}")
    if any(abs(lat) > 90 or abs(lon) > 180 for lat, lon in points):
        raise ValueError(f"polygon coordinates must be (lon, lat) in WGS 84: {ring!r}")
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in points)


def _add(parent, tag: str, text=None, ns: str = NS, **attrib):
    child = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrib)
    if text is not None:
        child.text = text
    return child


def _pairs(parent, tag: str, pairs) -> None:
    for name, value in pairs:
        pair = _add(parent, tag)
        _add(pair, "valueName", name)
        _add(pair, "value", value)


def _info(parent, info: Info, polygons, geocodes) -> None:
    if info.language not in LANGUAGES:
        raise ValueError(f"info language must be one of {LANGUAGES}, not {info.language!r}")
    texts = ("event", "headline", "description", "instruction", "sender_name", "area_desc")
    missing = [name for name in texts if not (getattr(info, name) or "").strip()]
    if missing:
        raise ValueError(f"{info.language} info is missing {', '.join(missing)}")
    el = _add(parent, "info")
    for tag in ("language", "category", "event", "urgency", "severity", "certainty"):
        _add(el, tag, getattr(info, tag))
    _add(el, "onset", cap_time(info.onset))
    _add(el, "expires", cap_time(info.expires))
    for tag, text in (("senderName", info.sender_name), ("headline", info.headline),
                      ("description", info.description), ("instruction", info.instruction),
                      ("web", info.web)):
        if text is not None:
            _add(el, tag, text)
    _pairs(el, "parameter", info.parameters)
    area = _add(el, "area")
    _add(area, "areaDesc", info.area_desc)
    for polygon in polygons:
        _add(area, "polygon", polygon)
    _pairs(area, "geocode", geocodes)


def to_xml(message: Message) -> bytes:
    """The message as a CAP 1.2 document (UTF-8), validated; ValueError if it cannot be one."""
    if message.msg_type in ("Update", "Cancel") and not message.references:
        raise ValueError(f"a CAP {message.msg_type} must reference the messages it replaces")
    if message.msg_type in ("Alert", "Update") and not message.infos:
        raise ValueError(f"a CAP {message.msg_type} needs at least one info")
    polygons = [_polygon(ring) for ring in message.polygons]
    root = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    _add(root, "identifier", _token("identifier", message.identifier))
    _add(root, "sender", _token("sender", message.sender))
    _add(root, "sent", cap_time(message.sent))
    _add(root, "status", message.status)
    _add(root, "msgType", message.msg_type)
    _add(root, "scope", message.scope)
    if message.note is not None:
        _add(root, "note", message.note)
    if message.references:
        _add(root, "references", " ".join(
            f"{_token('reference sender', s)},{_token('reference identifier', i)},{cap_time(t)}"
            for s, i, t in message.references))
    for info in message.infos:
        _info(root, info, polygons, message.geocodes)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(xml)
    return xml


@functools.cache
def _schema() -> etree.XMLSchema:
    xsd = files(__package__).joinpath("data", "CAP-v1.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def validate(xml: bytes) -> None:
    """Raise ``Invalid`` unless ``xml`` is a CAP 1.2 ``<alert>`` valid against the OASIS schema."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        doc = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise Invalid([f"not well-formed XML: {error}"]) from None
    if doc.tag != f"{{{NS}}}alert":
        raise Invalid([f"the root element is {doc.tag}, not a CAP 1.2 alert"])
    schema = _schema()
    if not schema.validate(doc):
        raise Invalid(f"line {e.line}: {e.message}" for e in schema.error_log)


def feed(entries, *, feed_id, title, updated, self_url, alternate_url, author) -> bytes:
    """An Atom 1.0 feed (UTF-8) of ``Entry`` items, each linking to its CAP message."""
    def uri(value: str) -> str:
        if not value.startswith(("tag:", "urn:")):
            raise ValueError(f"Atom ids must be tag: or urn: URIs, not {value!r}")
        return value

    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _add(root, "id", uri(feed_id), ATOM)
    _add(root, "title", title, ATOM)
    _add(root, "updated", cap_time(updated), ATOM)
    _add(root, "link", ns=ATOM, rel="self", href=self_url, type="application/atom+xml")
    _add(root, "link", ns=ATOM, rel="alternate", href=alternate_url)
    _add(_add(root, "author", ns=ATOM), "name", author, ATOM)
    for entry in entries:
        el = _add(root, "entry", ns=ATOM)
        _add(el, "id", uri(entry.id), ATOM)
        _add(el, "title", entry.title, ATOM)
        _add(el, "updated", cap_time(entry.updated), ATOM)
        _add(el, "link", ns=ATOM, rel="alternate", type=CAP_MIME, href=entry.url)
        _add(el, "summary", entry.summary, ATOM)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
