"""The setup form's callback: which community, at which version, and which channel a form
was opened for, so a submitted form changes only the community it was opened for, as it was."""

from __future__ import annotations

import re

from bot.runtime.invocation import Invocation, OpenedFor, Refused
from bot.runtime.texts import text
from bot.vocabulary.events import CommandInvoked, FormSubmitted

#: The callback of a setup form: ``setup:<community id>.<version>:<channel>`` (id 0: a channel
#: that was no community when the form was opened).
SETUP_PREFIX = "setup:"
_BOUND = re.compile(r"^(\d{1,18})\.(\d{1,18}):(.+)$", re.DOTALL)


def setup_callback(inv: Invocation) -> str:
    """The callback of the setup form: bound to the community and its version now."""
    c = inv.community
    bound = f"{c.id}.{c.version}" if c is not None and c.id is not None else "0.0"
    return f"{SETUP_PREFIX}{bound}:{inv.event.channel}"


def opened_for(callback: str) -> OpenedFor | None:
    """What a setup form's callback says it was opened for (None: an older form's callback)."""
    bound = _BOUND.match(callback.removeprefix(SETUP_PREFIX))
    return OpenedFor(int(bound.group(1)), int(bound.group(2))) if bound else None


def check_opened_for(inv: Invocation) -> None:
    """Refused unless the submitted form was opened for this channel's community as it is now:
    a form for another community, or one opened before the last change, changes nothing."""
    opened, c = inv.opened_for, inv.community
    current = c.id if c is not None and c.id is not None else 0
    if opened is not None and opened.community_id not in (0, current):
        raise Refused(text("form_wrong_channel", inv.locale))
    if opened is None or opened.community_id != current or (c and opened.version != c.version):
        name = c.name if c is not None else inv.event.channel
        raise Refused(text("form_outdated", inv.locale, name=name))


def _form_channel(callback: str) -> str:
    rest = callback.removeprefix(SETUP_PREFIX)
    bound = _BOUND.match(rest)
    return bound.group(3) if bound else rest


def setup_command(event: FormSubmitted) -> CommandInvoked:
    """A submitted setup form is ``community setup`` in its channel, with the form's values."""
    return CommandInvoked(
        workspace=event.workspace,
        key=event.key,
        occurred_at=event.occurred_at,
        channel=_form_channel(event.callback),
        member=event.member,
        name="community",
        args=("setup",),
    )
