"""What a warning says, Thai first and English: plain, short sentences a
resident understands, and the CAP 1.2 severity, urgency and certainty.

Band names and advice come from ``risk_jobs.aqi.BANDS``, risk classes from
``risk_jobs.composite.RISK_CLASSES``: never copies. Thai dates are written
day/month/Buddhist-Era year (11/3/2569), English ones ISO 8601. The
``station_stale`` and ``harvest_failed`` notices are for agency editors.
"""
import datetime as dt
from dataclasses import dataclass

from ckanext.maemoh.alerts.episodes import KINDS
from ckanext.maemoh.risk_jobs import air_now, aqi, composite

MSG_TYPES = ("Alert", "Update", "Cancel")
LANGUAGES = ("th", "en")
BUDDHIST_ERA_OFFSET = 543
_BANDS = {1: "Minor", 2: "Minor", 3: "Minor", 4: "Moderate", 5: "Severe"}
#: CAP severity per level of each kind (Alert and Update); also the levels a kind knows
SEVERITY = {"aqi": _BANDS, "forecast": _BANDS, "risk": _BANDS,
            "fire": {1: "Minor", 2: "Moderate", 3: "Severe"},
            "station_stale": {1: "Minor"}, "harvest_failed": {1: "Minor"}}
#: CAP urgency and certainty of each kind while its episode is open (Cancel: urgency Past)
URGENCY_CERTAINTY = {"aqi": ("Immediate", "Observed"), "forecast": ("Expected", "Likely"),
                     "fire": ("Immediate", "Observed"), "risk": ("Future", "Likely"),
                     "station_stale": ("Immediate", "Observed"), "harvest_failed": ("Immediate", "Observed")}
EVENTS = {"aqi": ("ฝุ่น PM2.5 / คุณภาพอากาศ", "Air quality"),
          "forecast": ("พยากรณ์ฝุ่น PM2.5", "PM2.5 forecast"),
          "fire": ("ไฟป่าและการเผาในที่โล่ง", "Fires and open burning"),
          "risk": ("ความเสี่ยงด้านสิ่งแวดล้อม", "Environmental risk"),
          "station_stale": ("สถานีตรวจวัดไม่ส่งข้อมูล", "Station not reporting"),
          "harvest_failed": ("การเก็บเกี่ยวข้อมูลไม่สำเร็จ", "Harvest failing")}
SUBJECTS = {"Alert": ("แจ้งเตือน", "Warning"), "Update": ("แจ้งเตือนเพิ่มเติม", "Update"),
            "Cancel": ("สิ้นสุดการแจ้งเตือน", "All clear")}
OVER = ("การแจ้งเตือนครั้งนี้สิ้นสุดลง", "This warning is over.")
NO_ACTION = ("ไม่ต้องดำเนินการใด ๆ", "No action is needed.")


@dataclass(frozen=True)
class Text:
    """One message in one language; ``body`` is a tuple of paragraphs."""

    subject: str
    headline: str
    body: tuple
    instruction: str
    event: str
    severity: str
    urgency: str
    certainty: str


def message(kind, msg_type, lang, *, place_th, place_en, level, detail=None):
    """The :class:`Text` of a ``msg_type`` ("Alert", "Update", "Cancel") of
    ``kind`` in ``lang`` ("th", "en") for a place at ``level`` (ignored by
    Cancel). ``detail`` may give ``aqi``, ``pm25`` (µg/m³), ``date``, ``km``,
    ``count``, ``hours``, ``station``, ``source``, ``error``. ValueError on
    an unknown kind, type, language or level."""
    for name, value, known in (("kind", kind, KINDS), ("msg_type", msg_type, MSG_TYPES),
                               ("lang", lang, LANGUAGES)):
        if value not in known:
            raise ValueError(f"{name}: one of {', '.join(known)}, not {value!r}")
    if msg_type != "Cancel" and level not in SEVERITY[kind]:
        raise ValueError(f"level: one of {', '.join(map(str, SEVERITY[kind]))} for {kind}, not {level!r}")
    say = _th if lang == "th" else _en
    place = say(place_th, place_en)
    headline, body, instruction = _WRITERS[kind](say, msg_type, place, level, detail or {})
    event = say(*EVENTS[kind])
    urgency, certainty = URGENCY_CERTAINTY[kind]
    cancel = msg_type == "Cancel"
    return Text(subject=f"{say(*SUBJECTS[msg_type])}: {event} – {place}", headline=headline,
                body=tuple(p for p in body if p), instruction=instruction, event=event,
                severity="Minor" if cancel else SEVERITY[kind][level],
                urgency="Past" if cancel else urgency, certainty=certainty)


def _air(say, msg_type, place, level, detail):
    if msg_type == "Cancel":
        return (say(f"คุณภาพอากาศที่{place}ดีขึ้นแล้ว", f"The air in {place} is better again"),
                [say(f"ดัชนีคุณภาพอากาศที่{place}ต่ำกว่าระดับที่แจ้งเตือน{_hours(say, detail)}แล้ว {OVER[0]}",
                     f"The air-quality index in {place} has been below the warning level"
                     f"{_hours(say, detail)}. {OVER[1]}")],
                say("ก่อนทำกิจกรรมกลางแจ้งนาน ๆ ควรดูค่าคุณภาพอากาศล่าสุดอีกครั้ง",
                    "Before long outdoor activities, check the latest air quality."))
    band = aqi.BANDS[level]
    name = say(band.name_th, band.name_en)
    worse = msg_type == "Update"
    value = f" (AQI {detail['aqi']})" if detail.get("aqi") is not None else ""
    station = detail.get("station")
    station = say(f" จากสถานี {station}", f", measured at {station}") if station else ""
    return (say(f"คุณภาพอากาศที่{place}{'แย่ลง' if worse else ''}: {name}",
                f"Air quality in {place}{' is worse' if worse else ''}: {name}"),
            [say(f"ดัชนีคุณภาพอากาศที่{place}อยู่ในระดับ {level} จาก 5: {name}{value}{station}",
                 f"The air-quality index in {place} is at level {level} of 5: {name}{value}{station}.")],
            _advice(say, band))


def _forecast(say, msg_type, place, level, detail):
    when = say("พรุ่งนี้", "tomorrow") + (f" ({_date(say, detail['date'])})" if detail.get("date") else "")
    if msg_type == "Cancel":
        return (say(f"พยากรณ์ฝุ่นที่{place}ต่ำกว่าระดับที่แจ้งเตือนแล้ว",
                    f"The dust forecast for {place} is below the warning level again"),
                [say(f"การพยากรณ์ล่าสุดไม่คาดว่าฝุ่นจะสูงถึงระดับที่แจ้งเตือนแล้ว {OVER[0]}",
                     f"The latest forecast no longer expects dust at the warning level. {OVER[1]}")],
                say("โปรดติดตามพยากรณ์และค่าที่วัดได้จริงต่อไป",
                    "Keep following the forecast and the measured values."))
    band = aqi.BANDS[level]
    name = say(band.name_th, band.name_en)
    worse = msg_type == "Update"
    pm25 = detail.get("pm25")
    amount = say(f" (PM2.5 ประมาณ {pm25:.0f} ไมโครกรัม/ลบ.ม.)",
                 f" (PM2.5 about {pm25:.0f} µg/m³)") if pm25 is not None else ""
    return (say(f"พยากรณ์ฝุ่นที่{place} {when}{' แย่ลง' if worse else ''}: {name}",
                f"Dust forecast for {place} {when}{' is worse' if worse else ''}: {name}"),
            [say(f"คาดว่า{when} คุณภาพอากาศที่{place}จะอยู่ในระดับ {level} จาก 5: {name}{amount}",
                 f"The air in {place} is expected to be at level {level} of 5 {when}: {name}{amount}."),
             say("การพยากรณ์อาจคลาดเคลื่อนได้ โปรดติดตามค่าที่วัดได้จริงด้วย",
                 "A forecast can be wrong: please follow the measured values too.")],
            say("เตรียมตัวล่วงหน้า: ", "Plan ahead. ") + _advice(say, band))


def _fire(say, msg_type, place, level, detail):
    if msg_type == "Cancel":
        return (say(f"ไม่พบจุดความร้อนใกล้{place}แล้ว", f"No more fire hotspots near {place}"),
                [say(f"ไม่พบจุดความร้อนในระยะที่แจ้งเตือนรอบ{place}{_hours(say, detail)}แล้ว {OVER[0]}",
                     f"No hotspot has been detected within the warning distance of {place}"
                     f"{_hours(say, detail)}. {OVER[1]}")],
                say("โปรดงดการเผาทุกชนิด เพื่อไม่ให้เกิดไฟขึ้นอีก",
                    "Please do not burn anything, so that fires do not start again."))
    km, count, hours = detail.get("km"), detail.get("count"), detail.get("hours")
    if km is None:
        where = {3: say(f"ในหรือใกล้{place}มาก", f"in or very near {place}"),
                 2: say(f"ใกล้{place}", f"near {place}"),
                 1: say(f"ในพื้นที่รอบ{place}", f"in the area around {place}")}[level]
    else:
        where = say(f"ห่างจาก{place}ประมาณ {km:.1f} กม.", f"about {km:.1f} km from {place}") if km else \
            say(f"ใน{place}", f"in {place}")
    spots = say(f" {count} จุด" if count else "",
                f"{count} fire hotspot{'' if count == 1 else 's'}" if count else "fire hotspots")
    recent = say(f" ในช่วง {hours} ชั่วโมงที่ผ่านมา", f" in the last {hours} hours") if hours else ""
    closer = msg_type == "Update"
    return (say(f"จุดความร้อน{'เข้าใกล้' if closer else 'ใกล้'}{place}",
                f"Fire hotspots {'closer to' if closer else 'near'} {place}"),
            [say(f"ดาวเทียมตรวจพบจุดความร้อน{spots} {where}{recent}",
                 f"Satellites detected {spots} {where}{recent}."),
             say("จุดความร้อนอาจเป็นไฟป่าหรือการเผาในที่โล่ง ควันไฟทำให้ฝุ่นเพิ่มขึ้นได้",
                 "A hotspot may be a forest fire or open burning; the smoke can raise the dust.")],
            say("หากเห็นหรือได้กลิ่นควัน ให้ปิดประตูหน้าต่างและลดกิจกรรมกลางแจ้ง งดการเผาทุกชนิด "
                "และแจ้งเหตุไฟไหม้ต่อหน่วยงานในพื้นที่",
                "If you see or smell smoke, close doors and windows and spend less time outdoors. "
                "Do not burn anything, and report fires to the local authorities."))


def _risk(say, msg_type, place, level, detail):
    see = say("ดูแผนที่ความเสี่ยงและคำแนะนำแต่ละด้านได้ที่ Mae Moh City Data Platform",
              "See the risk maps and the advice for each dimension on the Mae Moh City Data Platform.")
    if msg_type == "Cancel":
        return (say(f"ความเสี่ยงด้านสิ่งแวดล้อมของ{place}ลดลงแล้ว",
                    f"Environmental risk in {place} has come down"),
                [say(f"ความเสี่ยงรวมของ{place}ต่ำกว่าระดับที่แจ้งเตือนแล้ว {OVER[0]}",
                     f"The composite risk of {place} is below the warning level. {OVER[1]}")], see)
    risk = composite.RISK_CLASS_BY_VALUE[level]
    name = say(risk.label_th, risk.label_en)
    higher = msg_type == "Update"
    return (say(f"ความเสี่ยงด้านสิ่งแวดล้อมของ{place}{'สูงขึ้น' if higher else ''}: {name}",
                f"Environmental risk in {place}{' has risen' if higher else ''}: {name}"),
            [say(f"ความเสี่ยงรวมด้านสิ่งแวดล้อมของ{place}อยู่ในระดับ {level} จาก 5: {name}",
                 f"The composite environmental risk of {place} is at class {level} of 5: {name}."),
             say("ความเสี่ยงรวมคิดจากภัยทุกด้าน (อากาศ น้ำ ความร้อน ไฟ และอื่น ๆ) "
                 "จำนวนผู้อยู่อาศัย และความเปราะบางของพื้นที่",
                 "It combines every hazard (air, water, heat, fires and more) with how many people live "
                 "there and how vulnerable the area is.")], see)


def _station(say, msg_type, place, level, detail):
    station = detail.get("station") or place
    if msg_type == "Cancel":
        return (say(f"สถานี {station} กลับมาส่งข้อมูลแล้ว", f"Station {station} is reporting again"),
                [say("ได้รับค่าตรวจวัดใหม่แล้ว ประกาศนี้สิ้นสุดลง",
                     "New readings have arrived; this notice is over.")], say(*NO_ACTION))
    none = say(*(air_now.NO_CURRENT_DATA[lang]["name"] for lang in LANGUAGES))
    silent = _hours(say, detail, over=True)
    return (say(f"สถานี {station} ไม่ส่งข้อมูล{silent}", f"Station {station} has sent no data{silent}"),
            [say(f"ค่าล่าสุดของสถานี {station} ({place}) ไม่เป็นปัจจุบัน หน้าเว็บสำหรับประชาชนจะแสดงว่า "
                 f"\"{none}\" จนกว่าจะได้รับข้อมูลใหม่",
                 f"The newest reading of station {station} ({place}) is out of date. Residents' pages show "
                 f"\"{none}\" until new data arrive.")],
            say("ตรวจสอบไฟฟ้า การเชื่อมต่อ และเครื่องมือวัดของสถานี "
                "รวมทั้งการเก็บเกี่ยวข้อมูลของแหล่งข้อมูลนี้",
                "Check the station's power, connection and instruments, and the harvest of its source."))


def _harvest(say, msg_type, place, level, detail):
    source = detail.get("source") or place
    if msg_type == "Cancel":
        return (say(f"การเก็บเกี่ยวข้อมูลจาก {source} กลับมาทำงานแล้ว", f"Harvest of {source} is working again"),
                [say("การเก็บเกี่ยวข้อมูลครั้งล่าสุดสำเร็จ ประกาศนี้สิ้นสุดลง",
                     "The latest harvest succeeded; this notice is over.")], say(*NO_ACTION))
    error, failing = detail.get("error"), _hours(say, detail, over=True)
    return (say(f"การเก็บเกี่ยวข้อมูลจาก {source} ไม่สำเร็จ", f"Harvest of {source} is failing"),
            [say(f"การเก็บเกี่ยวข้อมูลจาก {source} ไม่สำเร็จ{failing} "
                 "ข้อมูลของแหล่งนี้จึงไม่เป็นปัจจุบัน แต่ข้อมูลเดิมยังอยู่ครบ",
                 f"Harvesting {source} has failed{failing}, so its data are not current; "
                 "the data already published are kept."),
             say(f"ข้อผิดพลาดล่าสุด: {error}", f"Last error: {error}") if error else ""],
            say("ตรวจดูงานและรายงานการเก็บเกี่ยวข้อมูลของแหล่งนี้ใน CKAN และดูว่าระบบต้นทางใช้งานได้หรือไม่",
                "Check this source's harvest jobs and reports in CKAN, and whether the source itself is up."))


_WRITERS = {"aqi": _air, "forecast": _forecast, "fire": _fire, "risk": _risk,
            "station_stale": _station, "harvest_failed": _harvest}


def _advice(say, band):
    """The band's advice for everyone, then for the sensitive groups."""
    return say(f"{band.advice_general_th} สำหรับ{aqi.SENSITIVE_GROUPS_TH}: {band.advice_sensitive_th}",
               f"{band.advice_general_en} For {aqi.SENSITIVE_GROUPS_EN}: {band.advice_sensitive_en}")


def _hours(say, detail, over=False):
    """How long, from ``detail["hours"]``: "มา 3 ชั่วโมง" / " for 3 hours" ("over" 3 hours)."""
    hours = detail.get("hours")
    if hours is None:
        return say("มาหลายชั่วโมง", " for several hours")
    return say(f"มา{'เกิน' if over else ''} {hours} ชั่วโมง", f" for {'over ' if over else ''}{hours} hours")


def _date(say, value):
    """A date (ISO 8601 or ``datetime.date``): 11/3/2569 in Thai, 2026-03-11 in English."""
    day = dt.date.fromisoformat(str(value)[:10])
    return say(f"{day.day}/{day.month}/{day.year + BUDDHIST_ERA_OFFSET}", day.isoformat())


def _th(th, en):
    return th


def _en(th, en):
    return en
