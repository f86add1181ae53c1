"""The forecast chart of a tambon (PNG): hourly PM2.5 for the next 72 hours
with its 80 % and 95 % ranges and the national 24-hour standard, labelled
"ไทย / English" (English only where no Thai font is installed), times in
Asia/Bangkok."""
import io

from ckanext.maemoh.risk_jobs.air_now import PM25_24H_STANDARD_UG_M3
from ckanext.maemoh.risk_jobs.aqi import BANGKOK
from ckanext.maemoh.writers import maps

WIDTH_PX, HEIGHT_PX, DPI = 960, 480, 120


def png(hourly, tambon, attribution):
    """``hourly``: the rows of one station (valid_time, p50, p10, p90, p025,
    p975); ``tambon``: its code and names; the PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    font, label, extra = maps.chart_fonts()
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    times = hourly["valid_time"].dt.tz_convert(BANGKOK)
    ax.fill_between(times, hourly["p025"], hourly["p975"], color="#90caf9", alpha=0.5,
                    label=label("ช่วง 95%", "95 % range"))
    ax.fill_between(times, hourly["p10"], hourly["p90"], color="#1e88e5", alpha=0.5,
                    label=label("ช่วง 80%", "80 % range"))
    ax.plot(times, hourly["p50"], color="#0d47a1", linewidth=2, label=label("ค่าพยากรณ์", "forecast"))
    ax.axhline(PM25_24H_STANDARD_UG_M3, color="#000000", linestyle="--", linewidth=1,
               label=label(f"มาตรฐาน 24 ชม. {PM25_24H_STANDARD_UG_M3:g}",
                           f"24-hour standard {PM25_24H_STANDARD_UG_M3:g}"))
    ax.set_ylim(bottom=0)
    ax.set_ylabel(label("PM2.5 (ไมโครกรัม/ลบ.ม.)", "PM2.5 (µg/m³)"), fontproperties=font)
    ax.set_xlabel(label("เวลา (กรุงเทพฯ)", "time (Asia/Bangkok)"), fontproperties=font)
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m %H:%M", tz=BANGKOK))
    ax.legend(prop=font, fontsize=8, loc="upper left")
    title = label(f"พยากรณ์ฝุ่น PM2.5 72 ชั่วโมง ต.{tambon['name_th']}",
                  f"PM2.5 forecast, next 72 hours, {tambon['name_en']}")
    ax.set_title(title, fontproperties=font, fontsize=11)
    fig.text(0.01, 0.01, attribution, fontsize=6)
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Title": title, "Source": attribution, **extra})
    return buffer.getvalue()
