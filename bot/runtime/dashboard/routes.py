"""``/dashboard``: the facilitator's web cockpit (issue 13 §1, §2, §5).

``GET /dashboard/open?token=…`` checks a signed link (``/animateur dashboard``), opens a signed
session cookie and redirects; ``/dashboard`` lists the communities the person facilitates in
that workspace, ``/dashboard/c/{channel}`` shows one, ``…/figures.csv`` downloads its figures.
Who facilitates what is read again at every request. Any refusal is a 403 page saying why."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.runtime.clock import Clock
from bot.runtime.dashboard.charts import charts, number
from bot.runtime.dashboard.language import page_language
from bot.runtime.dashboard.links import (
    COOKIE,
    SESSION_LIFETIME,
    DashboardLinks,
    Denied,
    Grant,
)
from bot.runtime.dashboard.pages import (
    WEEKS,
    Facilitator,
    NotAllowed,
    Pulse,
    community_pulse,
    facilitator,
)
from bot.runtime.indicators import FEWER
from bot.runtime.message_links import MessageLinkBook
from bot.runtime.pulse_render import as_csv
from bot.runtime.pulse_report import CommunityReport
from bot.runtime.pulse_warnings import LINKS
from bot.runtime.texts import text
from bot.vocabulary.events import Platform, WorkspaceRef
from storage.store import Store

log = logging.getLogger(__name__)

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
#: Nothing but the page itself: no script at all, styles inline, images only from here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
REASONS = {
    FEWER: "dash_reason_fewer",
    "no question asked": "dash_reason_no_question",
    "no answered question": "dash_reason_no_answer",
}


class Dashboard:
    def __init__(
        self,
        store: Store,
        links: DashboardLinks,
        clock: Clock,
        asking: Collection[str],
        message_links: MessageLinkBook | None = None,
    ) -> None:
        self._store = store
        #: each platform's links to the unanswered questions
        self._message_links = message_links or MessageLinkBook()
        self._links = links
        self._clock = clock
        #: the rituals that ask something (the others have no response rate)
        self._asking = frozenset(asking)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/dashboard/open", self.open),
            web.get("/dashboard", self.index),
            web.get("/dashboard/c/{channel}", self.community),
            web.get("/dashboard/c/{channel}/figures.csv", self.csv),
        ]

    # -- access -------------------------------------------------------------------------------

    async def open(self, request: web.Request) -> web.StreamResponse:
        try:
            grant = self._links.open_link(request.query.get("token", ""))
            who = await facilitator(self._store, grant)
        except Denied as denied:
            log.info("dashboard link refused", extra={"reason": denied.reason})
            return self._denied(request, denied.reason)
        except NotAllowed:
            return self._denied(request, "not_yours")
        place = "/dashboard"
        if grant.channel and any(c.channel_id == grant.channel for c in who.communities):
            place = f"/dashboard/c/{grant.channel}"
        response = web.Response(status=303, headers={**SECURITY_HEADERS, "Location": place})
        response.set_cookie(
            COOKIE,
            self._links.session(Grant(grant.workspace, grant.user_id)),
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/dashboard",
            httponly=True,
            samesite="Lax",
            secure=self._links.secure,
        )
        return response

    async def _session(self, request: web.Request) -> Grant:
        value = request.cookies.get(COOKIE)
        if not value:
            raise Denied("none")
        return self._links.open_session(value)

    def _denied(self, request: web.Request, reason: str) -> web.Response:
        lang = page_language(
            request.query.get("lang"), None, request.headers.get("Accept-Language", "")
        )
        return self._page(
            "denied.html", lang, status=403, reason=reason, title=_say(lang)("dash_denied_title")
        )

    # -- pages --------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        try:
            grant = await self._session(request)
            who = await facilitator(self._store, grant)
        except Denied as denied:
            return self._denied(request, denied.reason)
        except NotAllowed:
            return self._denied(request, "not_yours")
        lang = self._language(request, who)
        say = _say(lang)
        now = self._clock()
        summaries = []
        for community in who.communities:
            _, pulse = await community_pulse(
                self._store, grant, community.channel_id, now, self._asking
            )
            f = pulse.indicators.figures
            active = (
                f"{number(f['active_28d_pct'])} %"
                if f["active_28d_pct"] is not None
                else f"— ({_reason(lang, pulse.indicators.withheld.get('active_28d_pct', ''))})"
            )
            summaries.append(
                {
                    "channel": community.channel_id,
                    "name": community.name,
                    "members": say("dash_members_count", members=f["members"]),
                    "active": say(
                        "dash_active_vs_target", active=active, target=f["target_engagement_pct"]
                    ),
                    "warnings": say("dash_warnings_count", count=len(pulse.warnings)),
                }
            )
        return self._page(
            "index.html", lang, title=say("dash_title"), who=who, communities=summaries
        )

    async def _pulse(self, request: web.Request) -> tuple[Facilitator, Pulse, datetime]:
        grant = await self._session(request)
        at = self._clock()
        who, pulse = await community_pulse(
            self._store, grant, request.match_info["channel"], at, self._asking
        )
        return who, pulse, at

    async def community(self, request: web.Request) -> web.Response:
        try:
            who, pulse, at = await self._pulse(request)
        except Denied as denied:
            return self._denied(request, denied.reason)
        except NotAllowed:
            return self._denied(request, "not_yours")
        lang = self._language(request, who)
        say = _say(lang)
        await self._message_links.add_urls(_ref(who), pulse.indicators.figures)
        return self._page(
            "community.html",
            lang,
            title=f"{pulse.community.name} — {say('dash_title')}",
            community=pulse.community,
            subtitle=say("dash_subtitle", at=at.strftime("%Y-%m-%d %H:%M")),
            charts=charts(
                pulse.indicators, pulse.participation, say, lambda why: _reason(lang, why)
            ),
            warnings=[_warning(lang, w.kind, dict(w.values)) for w in pulse.warnings],
            unanswered=_unanswered(pulse, lang),
            csv_url=f"/dashboard/c/{pulse.community.channel_id}/figures.csv",
            several=len(who.communities) > 1,
        )

    async def csv(self, request: web.Request) -> web.Response:
        try:
            who, pulse, at = await self._pulse(request)
        except Denied as denied:
            return self._denied(request, denied.reason)
        except NotAllowed:
            return self._denied(request, "not_yours")
        await self._message_links.add_urls(_ref(who), pulse.indicators.figures)  # as the CLI's
        report = CommunityReport(_ref(who), pulse.community, at, pulse.indicators)
        name = f"{pulse.community.channel_id}-{at.strftime('%Y%m%dT%H%M')}.csv"
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        return web.Response(
            text=as_csv(report),
            content_type="text/csv",
            charset="utf-8",
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{safe}"'},
        )

    # -- helpers ------------------------------------------------------------------------------

    def _language(self, request: web.Request, who: Facilitator) -> str:
        return page_language(
            request.query.get("lang"), who.language, request.headers.get("Accept-Language", "")
        )

    def _page(self, template: str, lang: str, status: int = 200, **values: Any) -> web.Response:
        body = TEMPLATES.get_template(template).render(lang=lang, t=_say(lang), **values)
        return web.Response(
            text=body,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers=SECURITY_HEADERS,
        )


def _say(lang: str) -> Any:
    def say(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    return say


def _reason(lang: str, why: str) -> str:
    key = REASONS.get(why)
    return text(key, lang) if key else why


def _ref(who: Facilitator) -> WorkspaceRef:
    platform = cast(Platform, who.workspace.platform)
    return WorkspaceRef(platform, who.workspace.external_id)


#: where the questions go in a warning's text, once it is escaped
_WHERE = "\x00where\x00"


def _warning(lang: str, kind: str, values: dict[str, Any]) -> dict[str, Any]:
    where: list[Markup] = []
    if "links" in values:  # the questions, each by its day and a link to it when there is one
        where = [_question(lang, q) for q in values.pop("links")[:LINKS]]
        values["where"] = _WHERE
    if "rate" in values:
        values["rate"] = number(values["rate"])
    for key in ("start", "end"):
        if key in values:
            values[key] = number(values[key])
    what = escape(text(f"warning_{kind}", lang, **values))
    return {
        "kind": kind,
        "what": Markup(what.replace(_WHERE, Markup(", ").join(where))),
        "action": text(f"action_{kind}", lang),
    }


def _question(lang: str, question: dict[str, Any]) -> Markup:
    label = text("question_link", lang, day=str(question["asked_at"])[:10])
    href = question.get("url")  # none: no link builder for the platform
    if not href:
        return escape(label)
    return Markup('<a href="{}" rel="noreferrer">{}</a>').format(href, label)


def _unanswered(pulse: Pulse, lang: str) -> list[dict[str, str]]:
    questions = pulse.indicators.figures.get("questions_28d")
    if not isinstance(questions, dict):
        return []
    found = []
    for q in questions.get("unanswered_links", []):
        asked = datetime.fromisoformat(q["asked_at"].replace("Z", "+00:00"))
        found.append(
            {
                "asked": text("dash_asked_at", lang, at=asked.strftime("%Y-%m-%d %H:%M UTC")),
                "href": q.get("url", ""),  # none: no link builder for the platform
            }
        )
    return found


__all__ = ["WEEKS", "Dashboard"]
