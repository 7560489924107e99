"""Read playbook YAML files and report every problem as ``file:line: message``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from playbooks import trial
from playbooks.conversation import REPLIER, REPLIER_NAME
from playbooks.schema import (
    MEMBER_STEPS,
    QUESTION,
    Ask,
    Branch,
    Collect,
    DmPeople,
    GroupMembers,
    MarkSolved,
    Pick,
    Playbook,
    PostToCommunity,
    QuestionTrigger,
    Record,
    ReplyInThread,
    WaitReply,
)

LIBRARY = Path(__file__).parent / "library"

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PlaybookError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false; ``on``, ``yes``, ``no`` stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_SYNTAX_HINTS = {
    "expected <block end>": "indentation does not line up with the lines above — ",
    "mapping values are not allowed": "a ':' where it cannot be (quote the text?) — ",
    "found character '\\t'": "tabs are not allowed, indent with spaces — ",
}


def _line_map(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    """Record, for each path in the document, the 1-based line where it is written."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def _line_for(loc: Iterable[str | int], data: Any, lines: Mapping[PathKey, int]) -> int:
    """The line of the deepest part of ``loc`` present in the document.

    Pydantic locations also hold union tags (``('steps', 2, 'ask', 'text')``): parts that are not
    keys of the data are skipped.
    """
    path: PathKey = ()
    node = data
    for part in loc:
        present = (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if present:
            node = node[part]
            path = (*path, part)
    return lines.get(path, 1)


def _located(error: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The error's location; for a bad union tag, the tag field itself (``steps.2.kind``)."""
    loc = tuple(error["loc"])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return (*loc, str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
    return loc


def _message(error: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in _located(error))
    kind = error["type"]
    if kind == "missing":
        return f"{loc}: required field is missing"
    if kind == "extra_forbidden":
        return f"{loc}: unknown field"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return (
            f"{loc}: unknown value {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return f"{loc}: required field is missing"
    text = str(error["msg"]).removeprefix("Value error, ")
    return f"{loc}: {text}"


def _references(playbook: Playbook) -> Iterator[tuple[PathKey, str]]:
    """Cross-step problems pydantic cannot see: duplicate ids, dangling targets, wrong subject."""
    ids = [step.id for step in playbook.steps]
    seen: set[str] = set()
    for index, step in enumerate(playbook.steps):
        here: PathKey = ("steps", index)
        if step.id in seen:
            yield (*here, "id"), f"steps.{index}.id: duplicate step id {step.id!r}"
        seen.add(step.id)
        targets: list[tuple[PathKey, str | None]] = [((*here, "next"), step.next)]
        if isinstance(step, Branch):
            targets += [((*here, "cases", k), v) for k, v in step.cases.items()]
            targets.append(((*here, "default"), step.default))
        if isinstance(step, Ask):
            targets.append(((*here, "on_timeout"), step.on_timeout))
            if step.on_timeout and not step.timeout:
                yield (*here, "on_timeout"), f"steps.{index}.on_timeout: needs a timeout"
        if isinstance(step, WaitReply):
            targets.append(((*here, "on_timeout"), step.on_timeout))
        if isinstance(step, GroupMembers):
            targets += [((*here, "then"), step.then), ((*here, "on_too_few"), step.on_too_few)]
            if playbook.has_member_subject:
                yield (
                    (*here, "kind"),
                    f"steps.{index}.kind: 'group_members' groups the community's members: its "
                    "ritual runs once for the community (a schedule without 'audience')",
                )
        for path, target in targets:
            if target is not None and target not in ids:
                dotted = ".".join(str(p) for p in path)
                yield path, f"{dotted}: no step has id {target!r}"
        yield from _conversation(playbook, index)
        member_part = playbook.member_part
        in_member_part = member_part is not None and index >= member_part
        if step.kind in MEMBER_STEPS and not playbook.has_member_subject and not in_member_part:
            yield (
                (*here, "kind"),
                f"steps.{index}.kind: {step.kind!r} talks to one member, but this "
                f"{playbook.trigger.on!r} trigger runs once for the whole community "
                "(add 'audience: each_member' to run it for each member, or reach it from the "
                "'then' of a 'group_members' step)",
            )
    yield from _remembered_names(playbook)


def _bound(playbook: Playbook) -> Iterator[tuple[PathKey, str, str]]:
    """Every variable the playbook's steps set: (where it is written, the name, what sets it)."""
    if isinstance(playbook.trigger, QuestionTrigger):
        yield ("trigger", "on"), QUESTION, "the question trigger"
    for index, step in enumerate(playbook.steps):
        here: PathKey = ("steps", index)
        said = f"step {step.id!r}"
        if isinstance(step, Ask):
            yield (*here, "save_as" if step.save_as else "id"), step.variable, said
        elif isinstance(step, Pick):
            yield (*here, "save_as"), step.save_as, said
        elif isinstance(step, Record):
            yield (*here, "key"), step.key, said
        elif isinstance(step, WaitReply):
            yield (*here, "kind"), REPLIER, said
            yield (*here, "kind"), REPLIER_NAME, said


def _remembered_names(playbook: Playbook) -> Iterator[tuple[PathKey, str]]:
    """A ``remember_as`` names a variable no other step sets: not another ``remember_as``,
    not a ``save_as``, a record's key or what a trigger or ``wait_reply`` sets."""
    others = list(_bound(playbook))
    seen: dict[str, int] = {}
    for index, step in enumerate(playbook.steps):
        if not isinstance(step, PostToCommunity) or not step.remember_as:
            continue
        name, path = step.remember_as, ("steps", index, "remember_as")
        if name in seen:
            first = playbook.steps[seen[name]].id
            yield (
                path,
                (
                    f"steps.{index}.remember_as: {name!r} is remembered by step {first!r} already; "
                    "give each post its own name"
                ),
            )
            continue
        seen[name] = index
        for _, other, by in others:
            if other == name:
                yield (
                    path,
                    (
                        f"steps.{index}.remember_as: {name!r} is also set by {by}; a post's "
                        "thread and another value cannot share a name"
                    ),
                )
                break


def _conversation(playbook: Playbook, index: int) -> Iterator[tuple[PathKey, str]]:
    """A step's thread is one an earlier step remembered (or the question that started the
    run); a pick draws from a list the playbook declares."""
    step = playbook.steps[index]
    here: PathKey = ("steps", index)
    if isinstance(step, ReplyInThread | Collect | WaitReply | DmPeople | MarkSolved):
        known = [
            s.remember_as
            for s in playbook.steps[:index]
            if isinstance(s, PostToCommunity) and s.remember_as
        ]
        if isinstance(playbook.trigger, QuestionTrigger):
            known.append(QUESTION)
        if step.thread not in known:
            said = ", ".join(repr(k) for k in known) or "none"
            yield (
                (*here, "thread"),
                f"steps.{index}.thread: no earlier step remembers {step.thread!r} (known: "
                f"{said}); a post_to_community step with 'remember_as: {step.thread}' before "
                "this one, or 'question' in a ritual started by a question (on: question)",
            )
    if isinstance(step, Pick) and step.from_ not in playbook.lists:
        said = ", ".join(repr(k) for k in playbook.lists) or "none"
        yield (
            (*here, "from"),
            f"steps.{index}.from: no list {step.from_!r} in the playbook's 'lists' (lists: {said})",
        )


#: A playbook file is read only up to this size, and this many YAML nodes.
MAX_FILE = 200_000
MAX_NODES = 20_000


def _check_nodes(node: yaml.Node | None, file: str) -> None:
    """Refuse anchors reused by aliases (``*a``: a few lines can stand for billions of values)
    and documents too large to be a playbook."""
    seen: set[int] = set()
    pending = [node] if node is not None else []
    while pending:
        current = pending.pop()
        if id(current) in seen:
            line = current.start_mark.line + 1
            raise PlaybookError([Problem(file, line, "aliases (*name) are not allowed")])
        seen.add(id(current))
        if len(seen) > MAX_NODES:
            raise PlaybookError([Problem(file, 1, f"more than {MAX_NODES} YAML values")])
        if isinstance(current, yaml.MappingNode):
            pending.extend(part for pair in current.value for part in pair)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


def parse_playbook(text: str, file: str = "<playbook>") -> Playbook:
    """Validate one playbook; raises PlaybookError listing every problem found."""
    if len(text) > MAX_FILE:
        raise PlaybookError([Problem(file, 1, f"more than {MAX_FILE} characters")])
    try:
        node = yaml.compose(text, Loader=_Loader)
        _check_nodes(node, file)
        data = yaml.load(text, Loader=_Loader)
    except RecursionError as exc:
        raise PlaybookError([Problem(file, 1, "YAML nested too deeply")]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = str(exc.problem or exc.context)
        hint = next((h for k, h in _SYNTAX_HINTS.items() if k in detail), "")
        raise PlaybookError([Problem(file, line, f"YAML syntax: {hint}{detail}")]) from exc
    except yaml.YAMLError as exc:
        raise PlaybookError([Problem(file, 1, f"YAML syntax: {exc}")]) from exc
    if node is None or not isinstance(data, dict):
        raise PlaybookError([Problem(file, 1, "a playbook is a mapping with name, trigger, steps")])
    lines: dict[PathKey, int] = {}
    _line_map(node, (), lines)
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(file, _line_for(_located(err), data, lines), _message(err))
            for err in exc.errors()
        ]
        raise PlaybookError(sorted(problems, key=lambda p: p.line)) from exc
    problems = [Problem(file, lines.get(path, 1), msg) for path, msg in _references(playbook)]
    if problems:
        raise PlaybookError(problems)
    # only once the steps hold together: texts are rendered as runs would render them
    problems = [Problem(file, lines.get(path, 1), msg) for path, msg in trial.checked(playbook)]
    if problems:
        raise PlaybookError(problems)
    return playbook


def load_playbook(path: Path) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([Problem(str(path), 1, f"cannot read: {exc}")]) from exc
    return parse_playbook(text, str(path))


def load_library(directory: Path = LIBRARY) -> dict[str, Playbook]:
    """Every ``*.yaml`` in ``directory`` by playbook name; raises PlaybookError on any problem."""
    playbooks: dict[str, Playbook] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            playbook = load_playbook(path)
        except PlaybookError as exc:
            problems.extend(exc.problems)
            continue
        if playbook.name in playbooks:
            problems.append(Problem(str(path), 1, f"name {playbook.name!r} is used twice"))
        playbooks[playbook.name] = playbook
    if problems:
        raise PlaybookError(problems)
    return playbooks
