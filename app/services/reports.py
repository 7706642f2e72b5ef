"""Scenario reports for ministries: HTML and PDF in Uzbek (Latin), Russian,
English and German, with a map and charts that need no internet.

* The map is drawn from the data itself: region outlines and the demand of the
  H3 cells (aggregated to resolution 6 for drawing), existing stations, the
  chosen sites and the corridor gaps. No tiles are fetched. The HTML report
  also carries an interactive folium map whose Leaflet JS/CSS are embedded in
  the page when Debian's ``libjs-leaflet`` is installed (``/usr/share/javascript
  /leaflet``); without it the static map stands alone.
* Charts: matplotlib (Agg), embedded as PNG.
* PDF: fpdf2 with the DejaVu Sans font shipped in matplotlib (Cyrillic and
  Uzbek Latin ``oʻ gʻ`` render).
"""

from __future__ import annotations

import base64
import functools
import io
import math
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import jinja2
import matplotlib
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from app.db.models import Scenario
from geo import h3 as gh3
from geo.crs import WGS84

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import PolyCollection

LANGS: Final = ("uz", "ru", "en", "de")
LEAFLET_DIR: Final = Path("/usr/share/javascript/leaflet")

T: Final[dict[str, dict[str, str]]] = {
    "title": {
        "uz": "Elektromobil quvvatlash tarmogʻini rejalashtirish",
        "ru": "Планирование сети зарядных станций для электромобилей",
        "en": "EV charging network plan",
        "de": "Planung des Ladenetzes für Elektrofahrzeuge",
    },
    "scenario": {
        "uz": "Ssenariy",
        "ru": "Сценарий",
        "en": "Scenario",
        "de": "Szenario",
    },
    "area": {"uz": "Hudud", "ru": "Территория", "en": "Area", "de": "Gebiet"},
    "country": {
        "uz": "Oʻzbekiston Respublikasi",
        "ru": "Республика Узбекистан",
        "en": "Republic of Uzbekistan",
        "de": "Republik Usbekistan",
    },
    "summary": {
        "uz": "Xulosa",
        "ru": "Итоги",
        "en": "Summary",
        "de": "Zusammenfassung",
    },
    "population": {
        "uz": "Aholi",
        "ru": "Население",
        "en": "Population",
        "de": "Bevölkerung",
    },
    "fleet": {
        "uz": "Elektromobillar (ssenariy yili)",
        "ru": "Электромобили (год сценария)",
        "en": "Electric vehicles (scenario year)",
        "de": "Elektrofahrzeuge (Szenariojahr)",
    },
    "demand": {
        "uz": "Jamoat quvvatlash talabi, kVt·soat/kun",
        "ru": "Спрос на публичную зарядку, кВт·ч/сут",
        "en": "Public charging demand, kWh/day",
        "de": "Öffentlicher Ladebedarf, kWh/Tag",
    },
    "cells": {
        "uz": "H3 yacheykalar",
        "ru": "Ячейки H3",
        "en": "H3 cells",
        "de": "H3-Zellen",
    },
    "covered": {
        "uz": "{r} km ichida qamrab olingan aholi",
        "ru": "Население в пределах {r} км от станции",
        "en": "Population within {r} km of a charger",
        "de": "Bevölkerung im Umkreis von {r} km einer Ladestation",
    },
    "covered_planned": {
        "uz": "… rejalashtirilgan stansiyalar bilan",
        "ru": "… с учётом планируемых станций",
        "en": "… including planned stations",
        "de": "… einschließlich geplanter Stationen",
    },
    "underserved": {
        "uz": "Yetarli xizmat koʻrsatilmagan yacheykalar",
        "ru": "Недостаточно обслуживаемые ячейки",
        "en": "Underserved cells",
        "de": "Unterversorgte Zellen",
    },
    "selection": {
        "uz": "Optimal joylar tanlovi",
        "ru": "Оптимальный выбор площадок",
        "en": "Optimal site selection",
        "de": "Optimale Standortwahl",
    },
    "selected": {
        "uz": "Tanlangan joylar",
        "ru": "Выбрано площадок",
        "en": "Sites chosen",
        "de": "Gewählte Standorte",
    },
    "gap": {
        "uz": "LP chegarasigacha boʻlgan farq",
        "ru": "Разрыв до границы ЛП",
        "en": "Gap to the LP bound",
        "de": "Abstand zur LP-Schranke",
    },
    "cost": {
        "uz": "Narxi, soʻm",
        "ru": "Стоимость, сум",
        "en": "Cost, so'm",
        "de": "Kosten, So'm",
    },
    "corridors": {
        "uz": "Magistral yoʻllar boʻylab tez quvvatlash",
        "ru": "Быстрая зарядка вдоль магистралей",
        "en": "Fast charging along main roads",
        "de": "Schnellladen entlang der Fernstraßen",
    },
    "by_region": {
        "uz": "Viloyatlar kesimida",
        "ru": "По регионам",
        "en": "By region",
        "de": "Nach Regionen",
    },
    "region": {"uz": "Hudud", "ru": "Регион", "en": "Region", "de": "Region"},
    "stations": {
        "uz": "Stansiyalar",
        "ru": "Станции",
        "en": "Stations",
        "de": "Stationen",
    },
    "within": {
        "uz": "{r} km ichida",
        "ru": "В пределах {r} км",
        "en": "Within {r} km",
        "de": "Im Umkreis von {r} km",
    },
    "rule": {"uz": "Qoida", "ru": "Правило", "en": "Rule", "de": "Regel"},
    "gaps": {"uz": "Boʻshliqlar", "ru": "Разрывы", "en": "Gaps", "de": "Lücken"},
    "gap_km": {
        "uz": "Boʻshliqlar, km",
        "ru": "Разрывы, км",
        "en": "Gap length, km",
        "de": "Lückenlänge, km",
    },
    "proposed": {
        "uz": "Taklif etilgan joylar",
        "ru": "Предложено площадок",
        "en": "Proposed pools",
        "de": "Vorgeschlagene Standorte",
    },
    "top": {
        "uz": "Eng yaxshi nomzod joylar",
        "ru": "Лучшие площадки-кандидаты",
        "en": "Top candidate sites",
        "de": "Beste Kandidatenstandorte",
    },
    "rank": {"uz": "Oʻrin", "ru": "Ранг", "en": "Rank", "de": "Rang"},
    "score": {"uz": "Ball", "ru": "Балл", "en": "Score", "de": "Punktzahl"},
    "power": {
        "uz": "Quvvat, kVt",
        "ru": "Мощность, кВт",
        "en": "Power, kW",
        "de": "Leistung, kW",
    },
    "flag": {
        "uz": "Tarmoq ogohlantirishi",
        "ru": "Замечание по сети",
        "en": "Grid flag",
        "de": "Netzhinweis",
    },
    "map": {"uz": "Xarita", "ru": "Карта", "en": "Map", "de": "Karte"},
    "map_legend": {
        "uz": "Rang: talab; qora nuqtalar: mavjud stansiyalar; qizil: tanlangan joylar; toʻq sariq chiziqlar: AFIR boʻshliqlari",
        "ru": "Цвет: спрос; чёрные точки: станции; красные: выбранные площадки; оранжевые линии: разрывы AFIR",
        "en": "Colour: demand; black dots: existing stations; red: chosen sites; orange lines: AFIR gaps",
        "de": "Farbe: Bedarf; schwarze Punkte: Stationen; rot: gewählte Standorte; orange Linien: AFIR-Lücken",
    },
    "chart_cov": {
        "uz": "Masofa boʻyicha qamrov (aholi ulushi)",
        "ru": "Охват по расстоянию (доля населения)",
        "en": "Coverage by distance (share of population)",
        "de": "Abdeckung nach Entfernung (Bevölkerungsanteil)",
    },
    "km": {"uz": "km", "ru": "км", "en": "km", "de": "km"},
    "notes": {"uz": "Izohlar", "ru": "Примечания", "en": "Notes", "de": "Hinweise"},
    "method": {
        "uz": "Talab H3 katakchalarida modellashtirilgan; parametrlar va manba maʼlumotlar versiyalari ssenariy xeshida saqlanadi.",
        "ru": "Спрос смоделирован на ячейках H3; параметры и версии исходных данных зафиксированы хешем сценария.",
        "en": "Demand is modelled on H3 cells; the parameters and the versions of the input data are fixed by the scenario hash.",
        "de": "Der Bedarf wird auf H3-Zellen modelliert; Parameter und Versionen der Eingangsdaten sind durch den Szenario-Hash festgelegt.",
    },
    "demo": {
        "uz": "Diqqat: stansiyalar, podstansiyalar va yer uchastkalari demo maʼlumotlar boʻlishi mumkin.",
        "ru": "Внимание: станции, подстанции и участки могут быть демонстрационными данными.",
        "en": "Note: stations, substations and parcels may be demo data.",
        "de": "Hinweis: Stationen, Umspannwerke und Flurstücke können Demodaten sein.",
    },
}


def t(key: str, lang: str, **kw: Any) -> str:
    return T[key][lang].format(**kw)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _load(engine: Engine, row: Scenario) -> dict[str, Any]:
    region = (row.params or {}).get("region")
    with engine.connect() as conn:
        regions = gpd.read_postgis(
            text(
                "SELECT iso_code, name_en, name_ru, name_uz, geom FROM region"
                " WHERE CAST(:r AS text) IS NULL OR iso_code = :r"
            ),
            conn,
            geom_col="geom",
            crs=WGS84,
            params={"r": region},
        )
        cells = pd.read_sql(
            text(
                "SELECT h3, population, demand_kwh_day, distance_m FROM scenario_h3_cell"
                " WHERE scenario_id = :s"
            ),
            conn,
            params={"s": row.id},
        )
        cands = gpd.read_postgis(
            text(
                "SELECT rank, name, source, power_kw, score, selected, grid_ok, reasons,"
                " geom FROM scenario_candidate WHERE scenario_id = :s ORDER BY rank, id"
            ),
            conn,
            geom_col="geom",
            crs=WGS84,
            params={"s": row.id},
        )
        gaps = gpd.read_postgis(
            text(
                "SELECT rule, road, start_km, end_km, geom FROM scenario_corridor"
                " WHERE scenario_id = :s AND kind = 'gap'"
            ),
            conn,
            geom_col="geom",
            crs=WGS84,
            params={"s": row.id},
        )
        stations = gpd.read_postgis(
            text(
                "SELECT r.iso_code, s.geom FROM site s JOIN region r ON r.id = s.region_id"
                " WHERE CAST(:r AS text) IS NULL OR r.iso_code = :r"
            ),
            conn,
            geom_col="geom",
            crs=WGS84,
            params={"r": region},
        )
    return {
        "regions": regions,
        "cells": cells,
        "cands": cands,
        "gaps": gaps,
        "stations": stations,
    }


def map_png(data: dict[str, Any]) -> bytes:
    """Static map: demand per resolution-6 cell, regions, stations, sites, gaps."""
    fig, ax = plt.subplots(figsize=(9, 6.5))
    cells = data["cells"]
    if len(cells):
        c = gh3.str_to_cells(list(cells["h3"]))
        res = gh3.cell_resolution(int(c[0]))
        par = gh3.parents(c, 6) if res > 6 else c
        u, s = gh3.aggregate(par, cells["demand_kwh_day"].to_numpy(float))
        keep = s > 0
        if keep.any():
            polys = [np.asarray(p.exterior.coords) for p in gh3.cell_polygons(u[keep])]
            coll = PolyCollection(polys, array=np.log10(s[keep] + 1.0), cmap="YlGnBu")
            coll.set_linewidth(0)
            ax.add_collection(coll)
    data["regions"].boundary.plot(ax=ax, color="#555555", linewidth=0.6)
    gaps = data["gaps"]
    if len(gaps):
        gaps[gaps["rule"] == "afir"].plot(ax=ax, color="#ff8800", linewidth=2)
    if len(data["stations"]):
        data["stations"].plot(ax=ax, color="black", markersize=2)
    sel = (
        data["cands"][data["cands"]["selected"]]
        if len(data["cands"])
        else data["cands"]
    )
    if len(sel):
        sel.plot(ax=ax, color="#d62728", markersize=25, marker="^")
    ax.set_axis_off()
    ax.set_aspect(1.0 / math.cos(math.radians(41.0)))
    return _png(fig)


def coverage_chart_png(data: dict[str, Any], lang: str) -> bytes:
    cells = data["cells"]
    fig, ax = plt.subplots(figsize=(6, 3))
    pop = cells["population"].to_numpy(float)
    d = cells["distance_m"].to_numpy(float, na_value=np.inf) / 1000.0
    xs = np.array([1, 2, 5, 10, 20, 50, 100], dtype=float)
    share = [float(pop[d <= x].sum() / pop.sum()) if pop.sum() > 0 else 0.0 for x in xs]
    ax.bar([f"≤{int(x)}" for x in xs], share, color="#1f77b4")
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("km", lang))
    ax.set_title(t("chart_cov", lang))
    return _png(fig)


def folium_html(data: dict[str, Any]) -> str | None:
    """An interactive map with Leaflet embedded (no tiles), or ``None``."""
    js, css = LEAFLET_DIR / "leaflet.js", LEAFLET_DIR / "leaflet.css"
    if not (js.exists() and css.exists()):
        return None
    import folium  # noqa: PLC0415

    b = data["regions"].total_bounds
    m = folium.Map(
        tiles=None, location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=6
    )
    m.default_js = []
    m.default_css = []
    folium.GeoJson(
        data["regions"][["iso_code", "geom"]].rename_geometry("geometry").to_json(),
        style_function=lambda _: {"color": "#555", "weight": 1, "fillOpacity": 0.05},
    ).add_to(m)
    if len(data["gaps"]):
        folium.GeoJson(
            data["gaps"][["rule", "road", "geom"]]
            .rename_geometry("geometry")
            .to_json(),
            style_function=lambda _: {"color": "#ff8800", "weight": 3},
        ).add_to(m)
    sel = (
        data["cands"][data["cands"]["selected"]]
        if len(data["cands"])
        else data["cands"]
    )
    for (_, r), pt in zip(sel.iterrows(), sel.geometry, strict=True):
        folium.CircleMarker(
            [pt.y, pt.x],
            radius=5,
            color="#d62728",
            tooltip=f"#{r['rank']} {r['name'] or ''} {r['power_kw']:.0f} kW",
        ).add_to(m)
    html = m.get_root().render()
    inline = f"<style>{css.read_text()}</style><script>{js.read_text()}</script>"
    return html.replace("<head>", "<head>" + inline, 1)


_HTML: Final = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<title>{{ t('title') }} — {{ area }}</title>
<style>body{font-family:DejaVu Sans,Arial,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}iframe{width:100%;height:32rem;border:1px solid #ccc}</style>
</head><body>
<h1>{{ t('title') }}</h1>
<p><b>{{ t('area') }}:</b> {{ area }} · <b>{{ t('scenario') }}:</b> {{ name }} · <code>{{ digest }}</code></p>
<h2>{{ t('summary') }}</h2>
<table>{% for k, v in facts %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>{{ t('map') }}</h2>
<img alt="map" src="data:image/png;base64,{{ map_png }}" style="max-width:100%">
<p><small>{{ t('map_legend') }}</small></p>
{% if folium %}<iframe title="map" srcdoc="{{ folium }}"></iframe>{% endif %}
<img alt="chart" src="data:image/png;base64,{{ chart_png }}">
{% if regions %}<h2>{{ t('by_region') }}</h2>
<table id="by-region"><tr><th>{{ t('region') }}</th><th>{{ t('population') }}</th><th>{{ t('demand') }}</th>
<th>{{ t('within', r=radius_km) }}</th><th>{{ t('stations') }}</th><th>{{ t('selected') }}</th></tr>
{% for r in regions %}<tr><td>{{ r.name }}</td><td>{{ r.population }}</td><td>{{ r.demand }}</td><td>{{ r.within }}</td><td>{{ r.stations }}</td><td>{{ r.chosen }}</td></tr>{% endfor %}</table>{% endif %}
<h2>{{ t('corridors') }}</h2>
<table><tr><th>{{ t('rule') }}</th><th>{{ t('gaps') }}</th><th>{{ t('gap_km') }}</th><th>{{ t('proposed') }}</th></tr>
{% for r, v in corridors %}<tr><td>{{ r|upper }}</td><td>{{ v.gaps }}</td><td>{{ '%.0f'|format(v.gap_km) }}</td><td>{{ v.proposed }}</td></tr>{% endfor %}</table>
<h2>{{ t('top') }}</h2>
<table><tr><th>{{ t('rank') }}</th><th>{{ t('score') }}</th><th>{{ t('power') }}</th><th>{{ t('flag') }}</th></tr>
{% for c in top %}<tr><td>{{ c.rank }} {{ c.name }}</td><td>{{ '%.3f'|format(c.score) }}</td><td>{{ '%.0f'|format(c.power_kw) }}</td><td>{{ c.flag }}</td></tr>{% endfor %}</table>
<h2>{{ t('notes') }}</h2><ul><li>{{ t('method') }}</li><li>{{ t('demo') }}</li>
{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>
</body></html>"""
)


def by_region(data: dict[str, Any], radius_km: float) -> list[dict[str, Any]]:
    """Population, demand, share of people within ``radius_km`` of a charger,
    stations and chosen sites per region (cells by the region holding their centre);
    the sums equal the scenario's totals for cells inside the regions."""
    regions: gpd.GeoDataFrame = data["regions"]
    cells: pd.DataFrame = data["cells"]
    if cells.empty or regions.empty:
        return []
    lon, lat = gh3.cell_centers(gh3.str_to_cells(cells["h3"].astype(str).tolist()))
    pts = gpd.GeoDataFrame(
        cells[["population", "demand_kwh_day", "distance_m"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )
    joined = gpd.sjoin(pts, regions[["iso_code", "geom"]], predicate="within")
    joined["near_pop"] = joined["population"].where(
        joined["distance_m"] <= radius_km * 1000, 0.0
    )
    agg = joined.groupby("iso_code")[["population", "demand_kwh_day", "near_pop"]].sum()
    stations = data["stations"]["iso_code"].value_counts()
    cands = data["cands"]
    chosen = (
        gpd.sjoin(cands[cands["selected"]], regions[["iso_code", "geom"]])[
            "iso_code"
        ].value_counts()
        if len(cands)
        else pd.Series(dtype=int)
    )
    out = []
    for _, r in regions.sort_values("iso_code").iterrows():
        code = r["iso_code"]
        pop = float(agg["population"].get(code, 0.0))
        out.append(
            {
                "iso": code,
                "names": {"uz": r["name_uz"], "ru": r["name_ru"], "en": r["name_en"]},
                "population": pop,
                "demand_kwh_day": float(agg["demand_kwh_day"].get(code, 0.0)),
                "share_within": float(agg["near_pop"].get(code, 0.0)) / pop
                if pop > 0
                else 0.0,
                "stations": int(stations.get(code, 0)),
                "chosen": int(chosen.get(code, 0)),
            }
        )
    return out


def _by_region_cached(data: dict[str, Any], radius_km: float) -> list[dict[str, Any]]:
    """:func:`by_region`, kept with the run's cached data (the same for every
    language and format of the report)."""
    key = f"by_region@{radius_km:g}"
    if key not in data:
        data[key] = by_region(data, radius_km)
    rows: list[dict[str, Any]] = data[key]
    return rows


def _fmt(v: float) -> str:
    return f"{v:,.0f}".replace(",", " ")


def _context(row: Scenario, data: dict[str, Any], lang: str) -> dict[str, Any]:
    res = row.result or {}
    cov = res.get("coverage", {})
    region = (row.params or {}).get("region")
    if region is None:
        area = t("country", lang)
    else:
        r = data["regions"].iloc[0] if len(data["regions"]) else None
        col = {"uz": "name_uz", "ru": "name_ru"}.get(lang, "name_en")
        area = str(r[col] or r["name_en"]) if r is not None else region
    facts = [
        (t("population", lang), _fmt(res.get("population", 0))),
        (t("fleet", lang), _fmt(res.get("ev_fleet", 0))),
        (t("demand", lang), _fmt(res.get("demand_kwh_day", 0))),
        (t("cells", lang), _fmt(res.get("cells", 0))),
        (
            t("covered", lang, r=cov.get("radius_km", "")),
            f"{cov.get('population_share_km', 0):.1%}",
        ),
        (
            t("covered_planned", lang),
            f"{cov.get('with_planned_population_share_km', 0):.1%}",
        ),
        (t("underserved", lang), _fmt(cov.get("underserved_cells", 0))),
    ]
    sel = res.get("selection")
    if sel:
        facts += [
            (t("selected", lang), str(sel["selected"])),
            (t("gap", lang), f"{sel['gap']:.2%} ({sel['method']})"),
            (t("cost", lang), _fmt(sel["cost_uzs"])),
        ]
    cands = data["cands"]
    top = []
    for _, c in cands.head(15).iterrows():
        reasons = c["reasons"] or []
        top.append(
            {
                "rank": int(c["rank"]),
                "name": c["name"] or c["source"],
                "score": float(c["score"]),
                "power_kw": float(c["power_kw"]),
                "flag": "; ".join(reasons),
            }
        )
    radius = float(cov.get("radius_km") or 5.0)
    col = {"uz": "uz", "ru": "ru"}.get(lang, "en")
    regions = [
        {
            "name": str(r["names"][col] or r["names"]["en"]),
            "population": _fmt(r["population"]),
            "demand": _fmt(r["demand_kwh_day"]),
            "within": f"{r['share_within']:.1%}",
            "stations": str(r["stations"]),
            "chosen": str(r["chosen"]),
        }
        for r in (_by_region_cached(data, radius) if region is None else [])
    ]
    return {
        "lang": lang,
        "area": area,
        "radius_km": f"{radius:g}",
        "regions": regions,
        "name": row.name,
        "digest": (row.input_hash or "")[:16],
        "facts": facts,
        "corridors": sorted(res.get("corridors", {}).items()),
        "top": top,
        "notes": res.get("notes", []),
    }


@functools.lru_cache(maxsize=4)
def _assets(
    engine: Engine,
    scenario_id: int,
    finished_at: str,  # noqa: ARG001  # part of the cache key only
) -> tuple[dict[str, Any], bytes, str | None]:
    """Data and maps of one finished run (language-independent, so cached).

    ``finished_at`` is part of the key: a re-run invalidates the entry.
    """
    data = _load(engine, Scenario(id=scenario_id, params=_params(engine, scenario_id)))
    return data, map_png(data), folium_html(data)


def _params(engine: Engine, scenario_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        v = conn.execute(
            text("SELECT params FROM scenario WHERE id = :s"), {"s": scenario_id}
        ).scalar_one()
    return dict(v)


def render(engine: Engine, row: Scenario, lang: str, fmt: str) -> tuple[bytes, str]:
    """The report of a finished scenario as (bytes, media type)."""
    from app.errors import ConflictError, InvalidInputError  # noqa: PLC0415

    if lang not in LANGS:
        raise InvalidInputError(
            f"lang: unknown language {lang!r}; known: {', '.join(LANGS)}"
        )
    if row.status != "done":
        raise ConflictError(
            f"scenario {row.id} has status {row.status!r}: a report needs a finished run",
            "not_done",
        )
    data, mp, interactive = _assets(engine, row.id, str(row.finished_at))
    ctx = _context(row, data, lang)
    ch = coverage_chart_png(data, lang)
    if fmt == "html":
        html = _HTML.render(
            **ctx,
            t=lambda k, **kw: t(k, lang, **kw),
            map_png=base64.b64encode(mp).decode(),
            chart_png=base64.b64encode(ch).decode(),
            folium=interactive,
        )
        return html.encode(), "text/html; charset=utf-8"
    return _pdf(ctx, lang, mp, ch), "application/pdf"


def _pdf_regions(pdf: Any, ctx: dict[str, Any], lang: str) -> None:
    """The per-region table of a country report (nothing for a region report)."""
    if not ctx["regions"]:
        return
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(0, 8, t("by_region", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 7)
    cols = (
        (t("region", lang), 48, "name"),
        (t("population", lang), 26, "population"),
        (t("demand", lang), 40, "demand"),
        (t("within", lang, r=ctx["radius_km"]), 26, "within"),
        (t("stations", lang), 18, "stations"),
        (t("selected", lang), 22, "chosen"),
    )
    for h, w, _ in cols:
        pdf.cell(w, 5, h[:40], border=1)
    pdf.ln()
    for r in ctx["regions"]:
        for _, w, key in cols:
            pdf.cell(w, 5, r[key][:40], border=1)
        pdf.ln()
    pdf.ln(2)


def _pdf(ctx: dict[str, Any], lang: str, map_png_bytes: bytes, chart: bytes) -> bytes:
    from fpdf import FPDF  # noqa: PLC0415

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    bold = font.with_name("DejaVuSans-Bold.ttf")
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(font))
    pdf.add_font("dejavu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("dejavu", "B", 16)
    pdf.multi_cell(0, 8, t("title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    pdf.multi_cell(
        0,
        6,
        f"{t('area', lang)}: {ctx['area']} · {t('scenario', lang)}: {ctx['name']} · {ctx['digest']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(0, 8, t("summary", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    for k, v in ctx["facts"]:
        pdf.cell(120, 6, k, border=1)
        pdf.cell(60, 6, v, border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.image(io.BytesIO(map_png_bytes), w=180)
    pdf.set_font("dejavu", "", 8)
    pdf.multi_cell(0, 4, t("map_legend", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    _pdf_regions(pdf, ctx, lang)
    pdf.image(io.BytesIO(chart), w=150)
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(0, 8, t("corridors", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    for h, w in (
        (t("rule", lang), 30),
        (t("gaps", lang), 40),
        (t("gap_km", lang), 50),
        (t("proposed", lang), 60),
    ):
        pdf.cell(w, 6, h, border=1)
    pdf.ln()
    for r, v in ctx["corridors"]:
        for val, w in (
            (r.upper(), 30),
            (str(v["gaps"]), 40),
            (f"{v['gap_km']:.0f}", 50),
            (str(v["proposed"]), 60),
        ):
            pdf.cell(w, 6, val, border=1)
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(0, 8, t("top", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 8)
    for c in ctx["top"]:
        line = f"{c['rank']}. {c['name']} · {c['score']:.3f} · {c['power_kw']:.0f} kW"
        if c["flag"]:
            line += f" · {c['flag']}"
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("dejavu", "B", 12)
    pdf.cell(0, 8, t("notes", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    for n in [t("method", lang), t("demo", lang), *ctx["notes"]]:
        pdf.multi_cell(0, 5, "• " + n, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
