"""The dashboard's charts: SVG drawn on the server with pygal — no script, no stylesheet, nothing
fetched from the network — each with its title and its numbers as a table. A figure withheld
(a group under 5) is no point on a chart: its row in the table says why."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from bot.runtime.indicators import Indicators

#: Translates a text key (``bot.runtime.texts``) with values, in the page's language.
Say = Callable[..., str]

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"),
    font_family="system-ui, sans-serif",
    title_font_size=17,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    value_font_size=15,
    stroke_width="3",
    guide_stroke_color="#cbd2d9",
    major_guide_stroke_color="#9aa5b1",
)


@dataclass
class Chart:
    """One chart: ``svg`` is None when there is nothing to draw (``reason`` says why); the
    table's ``rows`` hold the same numbers as text."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    svg: Markup | None = None
    reason: str | None = None


def _draw(kind: type[Any], title: str, labels: Sequence[str], **options: Any) -> Any:
    config: dict[str, Any] = {
        "style": STYLE,
        "js": [],  # pygal's tooltips script comes from a CDN: none
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 480,
        "height": 340,
        "title": title,
        "legend_at_bottom": True,
        "print_values": False,
    }
    chart = kind(**{**config, **options})
    chart.x_labels = list(labels)
    return chart


#: pygal always inlines its configuration for its tooltips script: no script on these pages.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart: Any) -> Markup:
    # pygal escapes the texts it is given
    return Markup(_SCRIPT.sub("", chart.render(is_unicode=True)))


def number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def charts(
    ind: Indicators,
    participation: list[dict[str, Any]],
    say: Say,
    reason: Callable[[str], str],
) -> list[Chart]:
    return [
        _active(ind, say, reason),
        _participation(participation, say, reason),
        _answered(ind, say, reason),
        _answer_time(ind, say, reason),
        _newcomers(ind, say, reason),
        _rituals(ind, say, reason),
    ]


def _withheld(ind: Indicators, name: str, reason: Callable[[str], str]) -> str:
    """The reason a figure (or the group it belongs to) is withheld, translated; '' if shown."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        why = ind.withheld.get(".".join(parts[:i]))
        if why:
            return reason(why)
    return ""


def _cell(ind: Indicators, name: str, value: Any, reason: Callable[[str], str]) -> str:
    if value is not None:
        return number(value)
    why = _withheld(ind, name, reason)
    return f"— ({why})" if why else "—"


def _weekly(
    ind: Indicators, key: str, chart_id: str, title: str, series: str, say: Say,
    reason: Callable[[str], str], target: int | None = None, percent: bool = True,
) -> Chart:  # fmt: skip
    weeks: list[dict[str, Any]] = ind.figures.get("weeks", [])
    labels = [w["week"].split("-")[1] for w in weeks]
    values = [w[key] for w in weeks]
    columns = [say("dash_week"), series]
    if target is not None:
        columns.append(say("dash_target"))
    chart = Chart(chart_id, title, columns)
    for week in weeks:
        row = [f"{week['week']} ({week['start']})"]
        row.append(_cell(ind, f"weeks.{week['week']}.{key}", week[key], reason))
        if target is not None:
            row.append(str(target))
        chart.rows.append(row)
    if all(v is None for v in values):
        chart.reason = say("dash_nothing_to_draw")
        return chart
    options: dict[str, Any] = (
        {"range": (0, 100), "y_labels": list(range(0, 101, 20))}
        if percent
        else {"include_x_axis": True}
    )
    drawn = _draw(pygal.Line, title, labels, dots_size=4, **options)
    drawn.add(series, values, allow_interruptions=True)
    if target is not None:
        drawn.add(say("dash_target"), [target] * len(weeks), show_dots=False,
                  stroke_style={"dasharray": "10, 6"})  # fmt: skip
    chart.svg = _svg(drawn)
    return chart


def _active(ind: Indicators, say: Say, reason: Callable[[str], str]) -> Chart:
    return _weekly(
        ind, "active_pct", "active", say("dash_chart_active"), say("dash_active_pct"), say,
        reason, target=ind.figures.get("target_engagement_pct"),
    )  # fmt: skip


def _answered(ind: Indicators, say: Say, reason: Callable[[str], str]) -> Chart:
    return _weekly(
        ind, "answered_pct", "answered", say("dash_chart_answered"), say("dash_answered_pct"),
        say, reason,
    )  # fmt: skip


def _answer_time(ind: Indicators, say: Say, reason: Callable[[str], str]) -> Chart:
    return _weekly(
        ind, "median_first_answer_minutes", "answer-time", say("dash_chart_answer_time"),
        say("dash_median_minutes"), say, reason, percent=False,
    )  # fmt: skip


def _bars(
    chart_id: str, title: str, columns: list[str], items: list[tuple[str, Any, str]],
    say: Say, horizontal: bool = False, **options: Any,
) -> Chart:  # fmt: skip
    """One bar per item (label, value, cell text); items without a value are not drawn."""
    chart = Chart(chart_id, title, columns, rows=[[label, cell] for label, _, cell in items])
    drawn_items = [(label, value) for label, value, _ in items if value is not None]
    if not drawn_items:
        chart.reason = say("dash_nothing_to_draw")
        return chart
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    drawn = _draw(kind, title, [], print_values=True, include_x_axis=True, **options)
    for label, value in drawn_items:
        drawn.add(label, [value])
    chart.svg = _svg(drawn)
    return chart


def _participation(weeks: list[dict[str, Any]], say: Say, reason: Callable[[str], str]) -> Chart:
    """Stacked bars, one a week: silent, occasional and regular members over the 28 days to
    the week's end."""
    title = say("dash_chart_participation")
    groups = ("lurkers", "occasional", "regular")
    columns = [say("dash_week"), *(say(f"dash_{g}") for g in groups)]
    chart = Chart("participation", title, columns)
    for week in weeks:
        label = f"{week['week']} ({week['start']})"
        if week["split"] is None:
            chart.rows.append([label, *[f"— ({reason(week['withheld'])})"] * len(groups)])
        else:
            chart.rows.append([label, *(str(week["split"][g]) for g in groups)])
    if all(week["split"] is None for week in weeks):
        chart.reason = say("dash_nothing_to_draw")
        return chart
    labels = [w["week"].split("-")[1] for w in weeks]
    drawn = _draw(pygal.StackedBar, title, labels, include_x_axis=True)
    for group in groups:
        values = [w["split"][group] if w["split"] else None for w in weeks]
        drawn.add(say(f"dash_{group}"), values)
    chart.svg = _svg(drawn)
    return chart


def _newcomers(ind: Indicators, say: Say, reason: Callable[[str], str]) -> Chart:
    title = say("dash_chart_newcomers")
    got = ind.figures.get("newcomers_28d")
    columns = [say("dash_group"), say("dash_members")]
    if got is None:
        return Chart("newcomers", title, columns, reason=_withheld(ind, "newcomers_28d", reason))
    spoke = got["contributed_within_14d"]
    items = [
        (say("dash_joined"), got["joined"], str(got["joined"])),
        (
            say("dash_contributed"),
            spoke,
            _cell(ind, "newcomers_28d.contributed_within_14d", spoke, reason),
        ),
    ]
    return _bars("newcomers", title, columns, items, say)


def _rituals(ind: Indicators, say: Say, reason: Callable[[str], str]) -> Chart:
    title = say("dash_chart_rituals")
    columns = [say("dash_ritual"), say("dash_response_rate")]
    rituals: dict[str, Any] = ind.figures.get("rituals", {})
    if not rituals:
        return Chart("rituals", title, columns, reason=say("dash_no_ritual"))
    items = []
    for name, got in rituals.items():
        if got is None:
            items.append((name, None, _cell(ind, f"rituals.{name}", None, reason)))
        else:
            cell = say("dash_rate", rate=number(got["response_rate_pct"]),
                       answered=got["answered"], asked=got["asked"])  # fmt: skip
            items.append((name, got["response_rate_pct"], cell))
    return _bars(
        "rituals", title, columns, items, say, horizontal=True, range=(0, 100),
        y_labels=list(range(0, 101, 20)),
    )  # fmt: skip
