"""Traffy Fondue: residents' complaints (Thailand's citizen reporting platform, NECTEC).

Community data: a :class:`~.model.CitizenReport` is what a resident said,
not a measurement; the glue keeps it labelled and out of official products.

The public API (no key) as public clients use it; no official reference was
found, so every shape below is read from several independent clients and
some of it is unverified:

- ``api: "geojson"`` (default), the source URL
  ``https://publicapi.traffy.in.th/teamchadchart-stat-api/geojson/v1``:
  parameters ``output_format=geojson``, ``start`` (a date, YYYY-MM-DD),
  ``limit``, ``offset`` (also seen: ``end``, ``problem_type``,
  ``state_type``, and ``name``/``org``/``purpose``/``email`` naming who
  asks: give those in ``params``). The answer is a FeatureCollection; a
  feature's geometry is a Point [lon, lat] (or null) and its properties
  include ``ticket_id``, ``description``, ``problem_type_fondue`` (a list,
  sometimes as JSON text), ``type``, ``photo_url``, ``address``,
  ``subdistrict``, ``district``, ``province`` (sometimes a one-item list),
  ``timestamp``, ``state`` (Thai), ``state_type_latest`` (start,
  inprogress, forward, follow, finish, irrelevant), ``org``. Said by one
  client to cover all of Thailand, not only Bangkok (whether it carries
  Lampang's tickets is unverified); its order is not known.
- ``api: "search"``, the source URL
  ``https://publicapi.traffy.in.th/share/teamchadchart/search`` (Bangkok's
  channel): parameters ``offset`` and ``limit`` (1,000 at most), newest
  first; the answer is ``{"status": true, "total": N, "results": [...]}``,
  a result has ``coords`` ["lon", "lat"] (texts), ``problem_type_abdul``,
  ``type``, ``description``, ``photo_url``, ``address``, ``timestamp``,
  ``state``. Clients disagree on whether offset reaches past the newest
  1,000 tickets, and say ``keyword``/type filters are ignored.

Unverified and handled both ways: ``timestamp`` is "2023-03-05
03:26:26.117157+00" (UTC) at ``search``; one client says ``geojson/v1``
sends Bangkok wall-clock time without an offset, so a time without an offset
is read in Asia/Bangkok. ``coords`` may also be one "lon,lat" text; the text
may be ``comment`` and the photo ``photo`` (the CSV dump's names). Neither
API is known to filter by place, so ``bbox``, ``provinces`` and
``districts`` filter here; ``since`` is sent as ``start`` (geojson) and
also applied here.

gather: one key, ``reports``. fetch: the pages from ``since`` (the
``since=`` argument, else now minus ``days``, or ``backfill_days`` on a
first harvest) as ``{"window": {"since", "until"}, "pages": [answers]}``;
paging stops at a short page, at ``total``, or (``search``, newest first)
at a page older than ``since``; more than ``max_pages`` is an error.

parse: one CitizenReport per ticket filed in the window inside the area;
reports before ``since`` or outside the area are left out silently (the
feed is national: they are not faults). A ticket that cannot be a report
becomes a :class:`~.model.Reject` (variable ``citizen-report``) with the
reason: not an object, no or unreadable time, a time after the fetch, no or
impossible coordinates (0,0 included), no ticket_id, an unknown state (no
state at all is "new"), a repeat of a ticket already read (offset paging of
a live feed repeats tickets). Nothing crashes on a bad ticket.

The text keeps at most 500 characters; telephone numbers and e-mail
addresses in it are masked. Photo URLs are kept, never fetched, and only
when they are http(s). Our category comes from :data:`CATEGORIES` (Traffy's
category names, unknown ones -> ``other``); of several, the first of
:data:`PRECEDENCE` wins; Traffy's combined
"ฝุ่นควัน&กลิ่น&PM2.5" is refined by words of the text (:data:`REFINE`).
"""
import datetime
import json
import math
import re

from ckanext.maemoh.harvesters import http, model
from ckanext.maemoh.harvesters.base import Adapter, ConfigError, check_backfill_days, check_bbox, check_whole
from ckanext.maemoh.harvesters.http import SourceError

SOURCE = "traffy"
VARIABLE = "citizen-report"
APIS = ("geojson", "search")
MAX_PAGE_LIMIT = 1000
MAX_PAGES = 100
# A time this much after the fetch is a clock error, not a report.
CLOCK_SKEW = datetime.timedelta(minutes=10)

#: Traffy's category name -> ours. Names seen in Traffy's data are marked
#: (seen); the others are spellings residents and local agencies use,
#: kept so a local channel's categories map too. Anything else -> "other".
CATEGORIES = {
    "ฝุ่นควัน&กลิ่น&PM2.5": "dust",     # (seen) refined by REFINE
    "PM2.5": "dust",                    # (seen, 2022)
    "ฝุ่นควัน": "dust",
    "ฝุ่น": "dust",
    "ฝุ่นละออง": "dust",
    "ควันดำ": "smoke-burning",          # (seen) black smoke, vehicles and chimneys
    "การเผา": "smoke-burning",
    "เผา": "smoke-burning",
    "เผาขยะ": "smoke-burning",
    "ไฟป่า": "smoke-burning",
    "หมอกควัน": "smoke-burning",
    "เถ้า": "ash",
    "เถ้าลอย": "ash",
    "ขี้เถ้า": "ash",
    "กลิ่น": "odour",
    "กลิ่นเหม็น": "odour",
    "น้ำเน่าเสีย": "water-colour",
    "น้ำเสีย": "water-colour",
    "น้ำเปลี่ยนสี": "water-colour",
    "ขยะ": "waste-dumping",             # (seen)
    "ความสะอาด": "waste-dumping",       # (seen) cleanliness: mostly litter and dumping
    "ทิ้งขยะ": "waste-dumping",
    "ลักลอบทิ้งขยะ": "waste-dumping",
    "ขยะอุตสาหกรรม": "waste-dumping",
}
#: Of a ticket's categories, the first of these wins (the most specific).
PRECEDENCE = ("smoke-burning", "ash", "odour", "water-colour", "dust",
              "waste-dumping", "other")
#: Traffy categories that lump several of ours: words of the text decide, in order.
BROAD = {"ฝุ่นควัน&กลิ่น&PM2.5"}
REFINE = (("เผา", "smoke-burning"), ("ไฟไหม้", "smoke-burning"), ("เถ้า", "ash"),
          ("กลิ่น", "odour"))

#: Traffy's workflow state (code or Thai) -> ours.
STATE_TYPES = {"start": "new", "inprogress": "in-progress", "forward": "in-progress",
               "follow": "in-progress", "finish": "done", "irrelevant": "rejected"}
STATES = {"รอรับเรื่อง": "new", "กำลังดำเนินการ": "in-progress", "ส่งต่อ": "in-progress",
          "ส่งต่อ(ใหม่)": "in-progress", "เชิญร่วม": "in-progress", "ติดตาม": "in-progress",
          "เสร็จสิ้น": "done", "ไม่เกี่ยวข้อง": "rejected", "ปฏิเสธ": "rejected"}

PHONE = re.compile(r"(?<!\d)(?:\+66|0)(?:[\s-]?\d){8,9}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PLACE_PREFIXES = re.compile(r"^(?:จังหวัด|จ\.|อำเภอ|อ\.|เขต|ตำบล|ต\.|แขวง)\s*")
EXAMPLES = {"provinces": '["ลำปาง"]', "districts": '["แม่เมาะ"]'}
# Parameters the adapter sets itself; ``params`` may not give them.
OWN_PARAMS = {"offset", "limit", "start", "output_format"}


class Traffy(Adapter):
    name = SOURCE
    title = {"th": "เรื่องร้องเรียนจากประชาชน (Traffy Fondue)",
             "en": "Citizen reports (Traffy Fondue)"}
    config_help = (
        "URL: the API endpoint, e.g. "
        "https://publicapi.traffy.in.th/teamchadchart-stat-api/geojson/v1. "
        'Configuration: {"api": "geojson" or "search", "bbox": [west, south, east, north], '
        '"provinces": ["ลำปาง"], "districts": ["แม่เมาะ"], "days": 1-30, "backfill_days": 0-90, '
        '"page_limit": 1-1000, "max_pages": 1-100, "params": {"name": "...", "purpose": "..."}}')
    defaults = {"api": "geojson", "bbox": [99.62, 18.19, 100.06, 18.63], "provinces": [],
                "districts": [], "days": 2, "backfill_days": 0, "page_limit": 1000,
                "max_pages": 20, "params": {}}
    timeout = 60

    def __init__(self, url, config, *, since=None, **kwargs):
        """``since``: an aware datetime, the start of the window to fetch
        (say the newest report already stored); else now minus ``days``."""
        super().__init__(url, config, **kwargs)
        if since is not None and since.tzinfo is None:
            raise ValueError(f"since: give its time zone: {since}")
        self.since = since

    @classmethod
    def validate_config(cls, config):
        config = super().validate_config(config)
        if config["api"] not in APIS:
            raise ConfigError(f"api: one of {', '.join(APIS)}")
        config["bbox"] = check_bbox(config["bbox"])
        for key in ("provinces", "districts"):
            names = config[key]
            if not isinstance(names, list) or not all(
                    isinstance(n, str) and _place_name(n) for n in names):
                raise ConfigError(f"{key}: a list of Thai names, e.g. {EXAMPLES[key]}")
            config[key] = [_place_name(n) for n in names]
        check_whole(config, "days", 1, 30)
        check_backfill_days(config, 90)
        check_whole(config, "page_limit", 1, MAX_PAGE_LIMIT)
        check_whole(config, "max_pages", 1, MAX_PAGES)
        params = config["params"]
        if not isinstance(params, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
            raise ConfigError("params: an object of texts, e.g. {\"purpose\": \"research\"}")
        taken = sorted(OWN_PARAMS & set(params))
        if taken:
            raise ConfigError(f"params: {', '.join(taken)} are set by the adapter")
        return config

    def gather(self):
        return ["reports"]

    def fetch(self, key):
        if key != "reports":
            raise ValueError(f"not a Traffy key: {key!r}")
        until = self.now().astimezone(datetime.timezone.utc).replace(microsecond=0)
        since = (self.since.astimezone(datetime.timezone.utc) if self.since is not None
                 else until - datetime.timedelta(days=self.history_days()))
        params = dict(self.config["params"])
        if self.config["api"] == "geojson":
            params.update(output_format="geojson",
                          start=since.astimezone(model.BANGKOK).date().isoformat())
        limit = self.config["page_limit"]
        pages = []
        for number in range(self.config["max_pages"]):
            answer = self._get({**params, "offset": number * limit, "limit": limit})
            records, where = _records(answer)
            if where is None:
                raise SourceError(f"GET {self.url} offset {number * limit}: neither a "
                                  "FeatureCollection nor a search answer")
            pages.append(answer)
            total = answer.get("total")
            if (len(records) < limit
                    or (_is_count(total) and (number + 1) * limit >= total)
                    or (self.config["api"] == "search" and _all_before(records, since))):
                window = {"since": since.isoformat(), "until": until.isoformat()}
                return json.dumps({"window": window, "pages": pages}, ensure_ascii=False)
        raise SourceError(f"GET {self.url}: more than {self.config['max_pages']} pages of "
                          f"{limit} since {since.isoformat()}; raise max_pages or shorten days")

    def parse(self, key, raw):
        try:
            bundle = json.loads(raw)
            since = datetime.datetime.fromisoformat(bundle["window"]["since"])
            until = datetime.datetime.fromisoformat(bundle["window"]["until"])
            pages = bundle["pages"]
            if since.tzinfo is None or until.tzinfo is None or not isinstance(pages, list):
                raise ValueError("a naive window or no list of pages")
        except (ValueError, TypeError, KeyError) as error:
            raise SourceError(f"Traffy {key}: unreadable payload: {error}") from None
        batch = model.Batch()
        first = {}
        for number, page in enumerate(pages):
            records, where = _records(page)
            if where is None:
                raise SourceError(f"Traffy {key}: pages[{number}] is neither a "
                                  "FeatureCollection nor a search answer")
            for index, record in enumerate(records):
                ref = f"pages[{number}].{where}[{index}]"
                result = self._report(record, ref, since, until)
                if result is None:
                    continue
                if isinstance(result, model.CitizenReport):
                    seen = first.setdefault(result.report_id, ref)
                    if seen == ref:
                        batch.reports.append(result)
                        continue
                    result = _reject(result.report_id, result.report_id, result.time,
                                     f"duplicate of {seen}", ref)
                batch.rejects.append(result)
        return batch

    def _report(self, record, ref, since, until):
        """A CitizenReport, a Reject, or None for a ticket outside the window or area."""
        if isinstance(record, dict) and record.get("type") == "Feature" and "properties" in record:
            fields, place = record.get("properties"), _point(record.get("geometry"))
        else:
            fields, place = record, None
        if not isinstance(fields, dict):
            return _reject("", _text(record), None, "not a JSON object", ref)
        ticket = _text(fields.get("ticket_id")).strip()
        raw_time = fields.get("timestamp")
        time = _time(raw_time)
        if time is None:
            reason = "no timestamp" if not _text(raw_time).strip() else "unreadable timestamp"
            return _reject(ticket, _text(raw_time), None, reason, ref)
        if time < since:
            return None
        if time > until + CLOCK_SKEW:
            return _reject(ticket, _text(raw_time), time, "timestamp after the fetch", ref)
        if not self._in_places(fields):
            return None
        if place is None and "coords" in fields:
            place = _coords(fields["coords"])
        if place is None:
            raw = record.get("geometry") if fields is not record else fields.get("coords")
            return _reject(ticket, _text(raw), time, "no readable coordinates", ref)
        longitude, latitude = place
        west, south, east, north = self.config["bbox"]
        if not (west <= longitude <= east and south <= latitude <= north):
            return None
        if not ticket:
            return _reject("", "", time, "no ticket_id", ref)
        status = _status(fields)
        if status is None:
            raw = fields.get("state_type_latest") or fields.get("state")
            return _reject(ticket, _text(raw), time, f"unknown state {_text(raw)!r}", ref)
        names = _source_categories(fields)
        text = _clean_text(fields.get("description") or fields.get("comment"))
        return model.CitizenReport(
            source=SOURCE, report_id=ticket, category=category(names, text),
            source_categories=names, text=text, time=time, longitude=longitude,
            latitude=latitude, status=status,
            photo_url=_photo(fields.get("photo_url") or fields.get("photo")),
            place_text=_place_text(fields))

    def _in_places(self, fields):
        """True unless ``provinces``/``districts`` are set and the ticket's
        place fields (or, without them, its address) name none of them."""
        address = _text(fields.get("address"))
        for key, wanted in (("province", self.config["provinces"]),
                            ("district", self.config["districts"])):
            if not wanted:
                continue
            given = [_place_name(n) for n in _names(fields.get(key))]
            if given and not set(given) & set(wanted):
                return False
            if not given and not any(name in address for name in wanted):
                return False
        return True

    def _get(self, params):
        response = http.get(self.url, params=params, session=self.session,
                            timeout=self.timeout, sleep=self.sleep)
        try:
            answer = json.loads(response.content.decode("utf-8-sig", errors="replace"))
        except ValueError as error:
            raise SourceError(f"GET {self.url} offset {params['offset']}: not JSON: {error}: "
                              f"{http.excerpt(response.text)}") from None
        if not isinstance(answer, dict):
            raise SourceError(f"GET {self.url} offset {params['offset']}: not a JSON object")
        return answer


def category(names, text=""):
    """Our category of Traffy's category ``names`` (and the ticket's ``text``
    for a broad one): the first of PRECEDENCE among them, else "other"."""
    ours = {CATEGORIES.get(name, "other") for name in names}
    if any(name in BROAD for name in names):
        ours |= {mine for word, mine in REFINE if word in text}
    return next((c for c in PRECEDENCE if c in ours), "other")


def _records(answer):
    """(the tickets of one answer, the field holding them) or (None, None)."""
    if not isinstance(answer, dict):
        return None, None
    for where in ("features", "results"):
        if isinstance(answer.get(where), list):
            return answer[where], where
    return None, None


def _all_before(records, since):
    times = [_time(r.get("timestamp")) if isinstance(r, dict) else None for r in records]
    return bool(times) and all(t is not None and t < since for t in times)


def _reject(ticket, raw_value, time, reason, ref):
    return model.Reject(ticket, SOURCE, VARIABLE, raw_value, time, reason, ref)


def _time(value):
    """UTC time of a Traffy timestamp, or None; without an offset, Asia/Bangkok."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return model.to_utc(datetime.datetime.fromisoformat(text))
    except ValueError:
        return None


def _point(geometry):
    if not isinstance(geometry, dict) or geometry.get("type", "Point") != "Point":
        return None
    return _coords(geometry.get("coordinates"))


def _coords(value):
    """(longitude, latitude) of [lon, lat] (numbers or texts) or "lon,lat", or None."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    if any(isinstance(v, bool) for v in value):
        return None
    try:
        longitude, latitude = (float(v.strip()) if isinstance(v, str) else float(v)
                               for v in value)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(longitude) and math.isfinite(latitude)
            and -180 <= longitude <= 180 and -90 <= latitude <= 90):
        return None
    if longitude == 0 and latitude == 0:
        return None  # a placeholder, not a place
    return longitude, latitude


def _status(fields):
    code = _text(fields.get("state_type_latest")).strip().lower()
    if code:
        return STATE_TYPES.get(code)
    state = "".join(_text(fields.get("state")).split())
    return STATES.get(state) if state else "new"


def _source_categories(fields):
    """Traffy's category names of a ticket, in order, without repeats."""
    for key in ("problem_type_fondue", "problem_type_abdul", "type"):
        names = _names(fields.get(key))
        if names:
            return tuple(dict.fromkeys(names))
    return ()


def _names(value):
    """Names of a list, a JSON list text, a Postgres array text "{a,b}" or "a,b"."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                value = text.strip("[]").replace('"', "").replace("'", "").split(",")
        else:
            value = text.strip("{}").replace('"', "").split(",")
    if not isinstance(value, (list, tuple)):
        return []
    return [n.strip() for n in value if isinstance(n, str) and n.strip()]


def _clean_text(value):
    """Stripped text, lines kept, telephone numbers and e-mail masked, at most
    REPORT_TEXT_LENGTH characters (cut with "…")."""
    if not isinstance(value, str):
        return ""
    lines = (" ".join(line.split()) for line in value.replace("\r", "\n").split("\n"))
    text = "\n".join(line for line in lines if line)
    text = PHONE.sub("[โทรศัพท์]", EMAIL.sub("[อีเมล]", text))
    limit = model.REPORT_TEXT_LENGTH
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _photo(value):
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if re.match(r"https?://[^\s/]+", url, re.IGNORECASE) else None


def _place_text(fields):
    address = " ".join(_text(fields.get("address")).split())
    if address:
        return address[:300]
    names = [name for key in ("subdistrict", "district", "province")
             for name in _names(fields.get(key))]
    return " ".join(names)[:300] or None


def _place_name(name):
    return PLACE_PREFIXES.sub("", " ".join(str(name).split()))




def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
