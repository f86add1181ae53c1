"""What a message says: every kind, type and language; Thai in Thai; the
advice and names of the AQI bands from their one place."""
import dataclasses
import re

import pytest

from ckanext.maemoh.alerts import texts
from ckanext.maemoh.alerts.episodes import KINDS
from ckanext.maemoh.risk_jobs import aqi, composite

THAI = re.compile("[\u0e00-\u0e7f]")
LEVEL = {"aqi": 4, "forecast": 5, "fire": 2, "risk": 4, "station_stale": 1, "harvest_failed": 1}
DETAIL = {"aqi": 132, "pm25": 61.3, "date": "2026-03-11", "km": 4.2, "count": 3, "hours": 6,
          "station": "35t", "source": "Air4Thai", "error": "HTTP 503"}
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


def say(kind, msg_type="Alert", lang="th", level=None, detail=None):
    return texts.message(kind, msg_type, lang, place_th="ตำบลแม่เมาะ", place_en="Mae Moh",
                         level=LEVEL[kind] if level is None else level, detail=detail)


@pytest.mark.parametrize("detail", [None, DETAIL])
@pytest.mark.parametrize("lang", texts.LANGUAGES)
@pytest.mark.parametrize("msg_type", texts.MSG_TYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_message_is_complete(kind, msg_type, lang, detail):
    text = say(kind, msg_type, lang, detail=detail)
    strings = [text.subject, text.headline, text.instruction, text.event, *text.body]
    assert text.body and all(s.strip() for s in strings)
    assert all(bool(THAI.search(s)) == (lang == "th") for s in (text.headline, *text.body))
    assert "None" not in " ".join(strings)
    assert (text.severity, text.urgency, text.certainty) in [
        (s, u, c) for s in SEVERITIES for u in URGENCIES for c in CERTAINTIES]
    assert (text.urgency == "Past") == (msg_type == "Cancel")


@pytest.mark.parametrize("kind", ["aqi", "forecast"])
@pytest.mark.parametrize("band", [3, 4, 5])
def test_band_names_and_advice_come_from_the_aqi_table(kind, band):
    th, en = say(kind, level=band), say(kind, lang="en", level=band)
    found = aqi.BANDS[band]
    assert found.name_th in th.headline and found.name_en in en.headline
    for advice in (found.advice_general_th, found.advice_sensitive_th, aqi.SENSITIVE_GROUPS_TH):
        assert advice in th.instruction
    for advice in (found.advice_general_en, found.advice_sensitive_en, aqi.SENSITIVE_GROUPS_EN):
        assert advice in en.instruction
    assert th.severity == {3: "Minor", 4: "Moderate", 5: "Severe"}[band]


def test_cap_fields_per_kind():
    assert (say("aqi").urgency, say("aqi").certainty) == ("Immediate", "Observed")
    assert (say("forecast").urgency, say("forecast").certainty) == ("Expected", "Likely")
    assert [say("fire", level=ring).severity for ring in (1, 2, 3)] == ["Minor", "Moderate", "Severe"]
    assert say("aqi", "Cancel", level=None).urgency == "Past"


def test_details_are_woven_in():
    en = say("aqi", lang="en", detail=DETAIL)
    assert "AQI 132" in en.body[0] and "35t" in en.body[0]
    assert "11/3/2569" in say("forecast", detail=DETAIL).headline          # Buddhist Era in Thai
    assert "2026-03-11" in say("forecast", lang="en", detail=DETAIL).headline
    fire = say("fire", lang="en", detail=DETAIL)
    assert "3 fire hotspots about 4.2 km from Mae Moh in the last 6 hours" in fire.body[0]
    assert "1 fire hotspot " in say("fire", lang="en", detail={"count": 1}).body[0]
    assert "HTTP 503" in " ".join(say("harvest_failed", lang="en", detail=DETAIL).body)
    assert composite.RISK_CLASS_BY_VALUE[5].label_th in say("risk", level=5).headline


def test_cancel_says_the_episode_is_over():
    assert all("over" in say(kind, "Cancel", "en").body[0] for kind in KINDS)


@pytest.mark.parametrize("change, message", [
    ({"kind": "noise"}, "kind"), ({"msg_type": "Ack"}, "msg_type"), ({"lang": "fr"}, "lang"),
    ({"level": 6}, "level"), ({"kind": "fire", "level": 0}, "level"), ({"level": None}, "level"),
])
def test_bad_arguments_are_refused(change, message):
    arguments = {"kind": "aqi", "msg_type": "Alert", "lang": "th", "level": 4, **change}
    with pytest.raises(ValueError, match=message):
        texts.message(arguments.pop("kind"), arguments.pop("msg_type"), arguments.pop("lang"),
                      place_th="ตำบลแม่เมาะ", place_en="Mae Moh", **arguments)


def test_texts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        say("aqi").headline = "changed"
