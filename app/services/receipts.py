"""PDF receipts of charging sessions in Uzbek, Russian, English and German (fpdf2).

The font is DejaVu Sans as shipped inside matplotlib (a pinned dependency), so
Cyrillic and the Uzbek ``oʻ``/``gʻ`` print without system fonts.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

from fpdf import FPDF

from app.services.pricing import PriceBreakdown

Language = Literal["uz", "ru", "en", "de"]
LANGUAGES: Final[tuple[Language, ...]] = ("uz", "ru", "en", "de")

LABELS: Final[dict[str, dict[Language, str]]] = {
    "title": {"uz": "Quvvat — quvvatlash cheki", "ru": "Quvvat — чек зарядной сессии",
              "en": "Quvvat — charging receipt", "de": "Quvvat — Ladequittung"},
    "session": {"uz": "Sessiya", "ru": "Сессия", "en": "Session", "de": "Ladevorgang"},
    "station": {"uz": "Stansiya", "ru": "Станция", "en": "Station", "de": "Station"},
    "charge_point": {"uz": "Quvvatlash nuqtasi", "ru": "Зарядная точка",
                     "en": "Charge point", "de": "Ladepunkt"},
    "started": {"uz": "Boshlandi", "ru": "Начало", "en": "Started", "de": "Beginn"},
    "stopped": {"uz": "Tugadi", "ru": "Окончание", "en": "Stopped", "de": "Ende"},
    "energy": {"uz": "Energiya", "ru": "Энергия", "en": "Energy", "de": "Energie"},
    "energy_fee": {"uz": "Energiya uchun", "ru": "За энергию", "en": "Energy fee",
                   "de": "Energiepreis"},
    "time_fee": {"uz": "Vaqt uchun", "ru": "За время", "en": "Time fee",
                 "de": "Zeitpreis"},
    "idle_fee": {"uz": "Band turish uchun", "ru": "За простой", "en": "Idle fee",
                 "de": "Blockiergebühr"},
    "session_fee": {"uz": "Sessiya toʻlovi", "ru": "Плата за сессию",
                    "en": "Session fee", "de": "Startgebühr"},
    "total": {"uz": "Jami", "ru": "Итого", "en": "Total", "de": "Gesamt"},
    "vat": {"uz": "shu jumladan QQS", "ru": "в т.ч. НДС", "en": "incl. VAT",
            "de": "inkl. MwSt."},
    "night": {"uz": "tungi", "ru": "ночь", "en": "night", "de": "Nacht"},
    "minutes": {"uz": "daq", "ru": "мин", "en": "min", "de": "Min."},
    "currency": {"uz": "soʻm", "ru": "сум", "en": "UZS", "de": "UZS"},
    "running": {"uz": "Sessiya davom etmoqda (oraliq hisob)",
                "ru": "Сессия идёт (промежуточный расчёт)",
                "en": "Session still running (interim amount)",
                "de": "Ladevorgang läuft noch (Zwischenstand)"},
}  # fmt: skip


def _font() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib (which ships the receipt font) is missing")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"


@dataclass(frozen=True, slots=True)
class ReceiptData:
    session_id: int
    site_name: str | None
    address: str | None
    charge_point_id: str
    started_at: datetime
    stopped_at: datetime | None
    price: PriceBreakdown
    timezone: str = "Asia/Tashkent"


def _money(v: int, lang: Language) -> str:
    return f"{v:,}".replace(",", " ") + " " + LABELS["currency"][lang]


def _kwh(wh: Decimal | int) -> str:
    return f"{Decimal(wh) / 1000:.3f} kWh"


def render_receipt(data: ReceiptData, lang: Language) -> bytes:
    """A one-page A5 receipt as PDF bytes."""
    t = {k: v[lang] for k, v in LABELS.items()}
    tz = ZoneInfo(data.timezone)
    p = data.price
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_title(f"{t['title']} #{data.session_id}")
    pdf.set_creator("Quvvat")
    pdf.add_font("DejaVu", "", str(_font()))
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.cell(0, 10, t["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)

    def row(label: str, value: str) -> None:
        pdf.cell(55, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT", align="R")

    row(t["session"], f"#{data.session_id}")
    row(t["station"], data.site_name or "—")
    if data.address:
        row("", data.address)
    row(t["charge_point"], data.charge_point_id)
    row(t["started"], data.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    if data.stopped_at is not None:
        row(t["stopped"], data.stopped_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    else:
        row(t["stopped"], t["running"])
    row(t["energy"], _kwh(p.energy_wh))
    pdf.ln(3)
    night = (
        f" ({t['night']} {_kwh(p.energy_night_wh.quantize(Decimal(1)))})"
        if p.energy_night_wh
        else ""
    )
    row(t["energy_fee"] + night, _money(p.energy_uzs, lang))
    mins = (p.charging_min_day + p.charging_min_night).quantize(Decimal(1))
    row(f"{t['time_fee']} ({mins} {t['minutes']})", _money(p.time_uzs, lang))
    idle = p.idle_billed_min.quantize(Decimal(1))
    row(f"{t['idle_fee']} ({idle} {t['minutes']})", _money(p.idle_uzs, lang))
    row(t["session_fee"], _money(p.session_fee_uzs, lang))
    pdf.ln(2)
    pdf.set_font("DejaVu", size=12)
    row(t["total"], _money(p.total_uzs, lang))
    pdf.set_font("DejaVu", size=9)
    row(f"{t['vat']} {p.vat_percent.normalize()}%", _money(p.vat_uzs, lang))
    return bytes(pdf.output())
