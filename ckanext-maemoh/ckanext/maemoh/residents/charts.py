"""Small server-side SVG charts: readable without JavaScript, sized by the
page (``viewBox``), with a text alternative."""
from markupsafe import Markup, escape

from ckanext.maemoh.risk_jobs.air_now import PM25_24H_STANDARD_UG_M3 as PM25_STANDARD_24H

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 320, 160, 34, 24, 10


def pm25_svg(days, span, lang):
    """Bars of daily PM2.5 (µg/m³) against the national 24-hour standard;
    a day without a valid mean has no bar."""
    title = (f"ฝุ่น PM2.5 เฉลี่ยรายวัน {span} วันล่าสุด เทียบกับค่ามาตรฐาน {PM25_STANDARD_24H:g} ไมโครกรัม/ลบ.ม."
             if lang == "th" else
             f"Daily PM2.5 over the last {span} days against the national standard of "
             f"{PM25_STANDARD_24H:g} µg/m³")
    measured = [d["value_ug_m3"] for d in days if d["value_ug_m3"] is not None]
    if not measured:
        return Markup(f'<p class="maemoh-no-data">{escape(title)}: '
                      f'{"ยังไม่มีข้อมูล" if lang == "th" else "no data yet"}</p>')
    top = max(measured + [PM25_STANDARD_24H]) * 1.15
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_w / len(days)
    y = lambda v: TOP + plot_h * (1 - v / top)  # noqa: E731
    bars = []
    for i, day in enumerate(days):
        value = day["value_ug_m3"]
        if value is None:  # fewer than 18 measured hours: no bar, not a zero
            continue
        over = value > PM25_STANDARD_24H
        bars.append(
            f'<rect x="{LEFT + i * step + step * 0.15:.1f}" y="{y(value):.1f}" width="{step * 0.7:.1f}" '
            f'height="{TOP + plot_h - y(value):.1f}" fill="{"#c62828" if over else "#1565c0"}">'
            f'<title>{escape(day["date"])}: {value:.1f} µg/m³</title></rect>')
    first, last = days[0]["date"], days[-1]["date"]
    limit = y(PM25_STANDARD_24H)
    return Markup(
        f'<svg class="maemoh-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title>'
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#555"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="9" text-anchor="end">{top:.0f}</text>'
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" font-size="9" text-anchor="end">0</text>'
        + "".join(bars) +
        f'<line x1="{LEFT}" x2="{WIDTH - 4}" y1="{limit:.1f}" y2="{limit:.1f}" stroke="#000" '
        f'stroke-dasharray="4 3"/>'
        f'<text x="{WIDTH - 6}" y="{limit - 3:.1f}" font-size="9" text-anchor="end">'
        f'{"มาตรฐาน" if lang == "th" else "standard"} {PM25_STANDARD_24H:g}</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="9">{escape(first)}</text>'
        f'<text x="{WIDTH - 4}" y="{HEIGHT - 6}" font-size="9" text-anchor="end">{escape(last)}</text>'
        '</svg>')
