"""Workspaces, members, communities and which playbooks each community has switched on."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    LABEL_STYLE_TABLENAME_PLUS_COL,
    bindparam,
    func,
    literal,
    literal_column,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.vocabulary.events import MemberProfile, WorkspaceRef
from storage.loaded import loaded
from storage.prepared import prepared
from storage.tables import Community, Member, OptOutSuppression, PlaybookEnablement, Workspace
from storage.upsert import insert_missing

#: ids in one ``IN (…)`` list at most
IN_LIST = 5000


class Directory:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def workspace(self, ref: WorkspaceRef) -> Workspace | None:
        query = select(Workspace).where(
            Workspace.platform == ref.platform, Workspace.external_id == ref.external_id
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def ensure_workspace(
        self, ref: WorkspaceRef, now: datetime, name: str = "", locale: str = "en"
    ) -> Workspace:
        found = await self.workspace(ref)
        if found is not None:
            return found
        await insert_missing(
            self._s,
            Workspace,
            {
                "platform": ref.platform,
                "external_id": ref.external_id,
                "name": name,
                "locale": locale,
                "status": "active",
                "created_at": now,
            },
            ("platform", "external_id"),
        )
        created = await self.workspace(ref)
        assert created is not None
        return created

    async def workspace_with_community(
        self, ref: WorkspaceRef, channel: str | None
    ) -> tuple[Workspace | None, Community | None]:
        """The workspace, and the community on ``channel`` there (if any), in one statement."""
        if not channel:
            return await self.workspace(ref), None
        query = prepared(self._s, ("workspace_with_community",), _workspace_with_community)
        values = {"platform": ref.platform, "external_id": ref.external_id, "channel": channel}
        row = (await self._s.execute(query, values)).first()
        if row is None:
            return None, None
        # a Core statement, its rows then made the session's instances (storage.loaded)
        workspace = loaded(self._s, Workspace, dict(zip(_WORKSPACE_COLUMNS, row, strict=False)))
        community = dict(zip(_COMMUNITY_COLUMNS, row[len(_WORKSPACE_COLUMNS) :], strict=True))
        if community["id"] is None:  # no community on that channel (the outer join's nulls)
            return workspace, None
        return workspace, loaded(self._s, Community, community)

    async def workspace_by_id(self, workspace_id: int) -> Workspace | None:
        return await self._s.get(Workspace, workspace_id)

    async def member(self, workspace_id: int, user_id: str) -> Member | None:
        query = select(Member).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
        return (await self._s.execute(query)).scalar_one_or_none()

    async def upsert_member(
        self,
        workspace_id: int,
        profile: MemberProfile,
        now: datetime,
        person_keys: Sequence[str] = (),
    ) -> Member:
        """Create the member, or refresh what the platform told us this time — in one
        statement (an upsert returning the row), never a read then a write. ``person_keys``:
        their keyed hashes; a member made again after their erasure gets back the opt-outs
        kept under one of them (in the same statement)."""
        given = tuple(
            name for name in ("display_name", "locale", "timezone") if profile_has(profile, name)
        )
        statement = prepared(
            self._s,
            ("upsert_member", given, bool(person_keys)),
            lambda dialect: _upsert_member(dialect, given, bool(person_keys)),
        )
        values = {
            "m_workspace_id": workspace_id,
            "m_user_id": profile.user_id,
            "m_display_name": profile.display_name if "display_name" in given else "",
            "m_locale": profile.locale if "locale" in given else None,
            "m_timezone": profile.timezone if "timezone" in given else None,
            "m_updated_at": now,
        }
        if person_keys:
            values |= {"kept_workspace_id": workspace_id, "person_keys": list(person_keys)}
        # a Core statement, the row then made the session's instance (storage.loaded)
        row = (await self._s.execute(statement, values)).one()
        return loaded(self._s, Member, row._asdict(), refresh=True)

    async def members(self, workspace_id: int) -> Sequence[Member]:
        query = select(Member).where(Member.workspace_id == workspace_id).order_by(col(Member.id))
        return (await self._s.execute(query)).scalars().all()

    async def member_timezones(self, workspace_id: int) -> set[str]:
        """The distinct timezones the workspace's members are in."""
        query = (
            select(Member.timezone)
            .where(Member.workspace_id == workspace_id, col(Member.timezone).is_not(None))
            .distinct()
        )
        return {tz for tz in (await self._s.execute(query)).scalars().all() if tz}

    async def revive(self, workspace_ids: Collection[int]) -> None:
        """The workspaces among ``workspace_ids`` marked revoked are active again (their
        credentials just worked); one statement, nothing done for the others."""
        if not workspace_ids:
            return
        statement = (
            update(Workspace)
            .where(col(Workspace.id).in_(sorted(workspace_ids)), col(Workspace.status) == "revoked")
            .values(status="active")
            .execution_options(synchronize_session=False)
        )
        await self._s.execute(statement)

    async def mark_unreachable(self, workspace_id: int, user_id: str) -> None:
        member = await self.member(workspace_id, user_id)
        if member is not None:
            member.unreachable = True

    async def community_by_channel(self, workspace_id: int, channel_id: str) -> Community | None:
        query = select(Community).where(
            Community.workspace_id == workspace_id, Community.channel_id == channel_id
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def community(self, community_id: int) -> Community | None:
        return await self._s.get(Community, community_id)

    async def lock_community(self, community_id: int) -> Community | None:
        """The community as last committed, its row locked until this transaction ends (on
        PostgreSQL; SQLite has one writer at a time): what is checked against it, such as its
        version, stays true until the change is written."""
        query = (
            select(Community)
            .where(Community.id == community_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def communities(self, workspace_id: int | None = None) -> Sequence[Community]:
        query = select(Community).order_by(col(Community.id))
        if workspace_id is not None:
            query = query.where(Community.workspace_id == workspace_id)
        return (await self._s.execute(query)).scalars().all()

    async def add_community(self, community: Community) -> Community:
        self._s.add(community)
        await self._s.flush()
        return community

    async def set_playbook(
        self, community_id: int, playbook: str, enabled: bool, now: datetime
    ) -> None:
        row = await self._enablement(community_id, playbook)
        if row is None:
            self._s.add(
                PlaybookEnablement(
                    community_id=community_id, playbook=playbook, enabled=enabled, enabled_at=now
                )
            )
        elif row.enabled != enabled:
            row.enabled = enabled
            row.enabled_at = now
        await self._s.flush()

    async def _enablement(self, community_id: int, playbook: str) -> PlaybookEnablement | None:
        query = select(PlaybookEnablement).where(
            PlaybookEnablement.community_id == community_id,
            PlaybookEnablement.playbook == playbook,
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def playbook_settings(self, community_id: int, playbook: str) -> dict[str, Any]:
        """The community's overrides of a ritual's texts and schedule ({} when none)."""
        row = await self._enablement(community_id, playbook)
        return dict(row.settings) if row is not None else {}

    async def set_playbook_settings(
        self, community_id: int, playbook: str, settings: dict[str, Any], now: datetime
    ) -> None:
        """Replace the community's overrides of ``playbook`` (the ritual stays as it was on/off)."""
        row = await self._enablement(community_id, playbook)
        if row is None:
            row = PlaybookEnablement(
                community_id=community_id, playbook=playbook, enabled=False, enabled_at=now
            )
            self._s.add(row)
        row.settings = dict(settings)
        await self._s.flush()

    async def enabled_playbooks(self, community_id: int) -> list[str]:
        query = (
            select(PlaybookEnablement.playbook)
            .where(
                PlaybookEnablement.community_id == community_id,
                col(PlaybookEnablement.enabled).is_(True),
            )
            .order_by(col(PlaybookEnablement.playbook))
        )
        return list((await self._s.execute(query)).scalars().all())

    async def enabled_settings(self, community_id: int) -> dict[str, dict[str, Any]]:
        """The community's rituals switched on, each with its overrides ({} when none), in
        name order: ``enabled_playbooks`` and their ``playbook_settings`` in one statement."""
        query = (
            select(PlaybookEnablement.playbook, PlaybookEnablement.settings)
            .where(
                PlaybookEnablement.community_id == community_id,
                col(PlaybookEnablement.enabled).is_(True),
            )
            .order_by(col(PlaybookEnablement.playbook))
        )
        return {name: dict(settings or {}) for name, settings in await self._s.execute(query)}

    async def enabled_playbooks_of(self, community_ids: Sequence[int]) -> dict[int, list[str]]:
        """``enabled_playbooks`` of several communities at once (absent: none enabled)."""
        if not community_ids:
            return {}
        query = (
            select(PlaybookEnablement.community_id, PlaybookEnablement.playbook)
            .where(
                col(PlaybookEnablement.community_id).in_(community_ids),
                col(PlaybookEnablement.enabled).is_(True),
            )
            .order_by(col(PlaybookEnablement.playbook))
        )
        found: dict[int, list[str]] = {}
        for community_id, playbook in (await self._s.execute(query)).all():
            found.setdefault(community_id, []).append(playbook)
        return found

    async def members_by_user_id(
        self, workspace_id: int, user_ids: Sequence[str]
    ) -> dict[str, Member]:
        """The workspace's members among ``user_ids``, by user id (unknown ones left out)."""
        found: dict[str, Member] = {}
        for start in range(0, len(user_ids), IN_LIST):  # under every driver's parameter limit
            query = select(Member).where(
                Member.workspace_id == workspace_id,
                col(Member.user_id).in_(list(user_ids[start : start + IN_LIST])),
            )
            found.update((m.user_id, m) for m in (await self._s.execute(query)).scalars().all())
        return found

    async def enablements(self, playbooks: Sequence[str]) -> Sequence[PlaybookEnablement]:
        """Enabled (community, playbook) pairs among ``playbooks`` — for the scheduler."""
        query = select(PlaybookEnablement).where(
            col(PlaybookEnablement.playbook).in_(playbooks),
            col(PlaybookEnablement.enabled).is_(True),
        )
        return (await self._s.execute(query)).scalars().all()


def _kept(column: Any, default: Any) -> Any:
    """``column`` of the opt-outs kept for one of the person keys bound as ``person_keys`` in
    the workspace bound as ``kept_workspace_id``, else ``default``."""
    kept = (
        select(column)
        .where(
            col(OptOutSuppression.workspace_id) == bindparam("kept_workspace_id"),
            col(OptOutSuppression.person_key).in_(bindparam("person_keys", expanding=True)),
        )
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(kept, literal(default, type_=column.type))


def profile_has(profile: MemberProfile, name: str) -> bool:
    """Whether the platform told this of the member (an empty value tells nothing)."""
    return bool(getattr(profile, name))


def _bound(name: str) -> Any:
    """The value of the member's column ``name``, bound as ``m_<name>`` when run."""
    column = Member.__table__.c[name]  # type: ignore[attr-defined]
    return bindparam(f"m_{name}", type_=column.type)


def _upsert_member(dialect: Any, given: tuple[str, ...], keyed: bool) -> Any:
    """Insert the member, or refresh what the platform told (``given``) and when; a member
    made again after their erasure gets back the opt-outs kept for them (``keyed``)."""
    kept_all = _kept(OptOutSuppression.opted_out_all, False) if keyed else False
    kept = _kept(OptOutSuppression.opted_out, []) if keyed else []
    table = Member.__table__  # type: ignore[attr-defined]
    statement = dialect.insert(table).values(
        workspace_id=_bound("workspace_id"),
        user_id=_bound("user_id"),
        display_name=_bound("display_name"),
        locale=_bound("locale"),
        timezone=_bound("timezone"),
        opted_out_all=kept_all,
        opted_out=kept,
        unreachable=False,
        updated_at=_bound("updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["workspace_id", "user_id"],
        set_={name: literal_column(f"excluded.{name}") for name in [*given, "updated_at"]},
    ).returning(*table.c)


_WORKSPACE_COLUMNS = tuple(c.key for c in Workspace.__table__.c)  # type: ignore[attr-defined]
_COMMUNITY_COLUMNS = tuple(c.key for c in Community.__table__.c)  # type: ignore[attr-defined]


def _workspace_with_community(_dialect: Any) -> Any:
    """The workspace's columns (bound: ``platform``, ``external_id``), then those of its
    community on ``channel`` (nulls when there is none), in their tables' order."""
    workspaces = Workspace.__table__  # type: ignore[attr-defined]
    communities = Community.__table__  # type: ignore[attr-defined]
    return (
        sa_select(*workspaces.c, *communities.c)
        .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
        .outerjoin(
            communities,
            (communities.c.workspace_id == workspaces.c.id)
            & (communities.c.channel_id == bindparam("channel")),
        )
        .where(
            workspaces.c.platform == bindparam("platform"),
            workspaces.c.external_id == bindparam("external_id"),
        )
    )
