"""The playbook file format, as pydantic models. ``playbooks.loader`` adds file:line to errors.

The format is read as one name, ``playbooks.schema``, which gathers its parts:

- ``common``: what the models share (strict models, localized texts, ids, cron and durations);
- ``triggers``: what starts a ritual (``trigger:``), and which members it starts for;
- ``steps``: the steps, one model per ``kind``;
- ``playbook``: a file's top level, :class:`Playbook`, with its digest and lists.
"""

from playbooks.schema.common import (
    LOCALES,
    LocalizedText,
    StepId,
    Strict,
    Variable,
    check_cron,
    check_duration,
)
from playbooks.schema.playbook import Digest, ItemList, Playbook
from playbooks.schema.steps import (
    LINK,
    MEMBER_STEPS,
    PEOPLE,
    Ask,
    Branch,
    ChoiceSpec,
    Collect,
    DmPeople,
    End,
    GroupMembers,
    MarkSolved,
    NotifyFacilitators,
    Pick,
    PostToCommunity,
    Record,
    ReplyInThread,
    SendDm,
    Step,
    StepBase,
    Wait,
    WaitReply,
)
from playbooks.schema.triggers import (
    QUESTION,
    ButtonTrigger,
    CommandTrigger,
    MemberFilter,
    MemberJoinedTrigger,
    QuestionTrigger,
    ScheduleTrigger,
    Trigger,
)

__all__ = [
    "LINK",
    "LOCALES",
    "MEMBER_STEPS",
    "PEOPLE",
    "QUESTION",
    "Ask",
    "Branch",
    "ButtonTrigger",
    "ChoiceSpec",
    "Collect",
    "CommandTrigger",
    "Digest",
    "DmPeople",
    "End",
    "GroupMembers",
    "ItemList",
    "LocalizedText",
    "MarkSolved",
    "MemberFilter",
    "MemberJoinedTrigger",
    "NotifyFacilitators",
    "Pick",
    "Playbook",
    "PostToCommunity",
    "QuestionTrigger",
    "Record",
    "ReplyInThread",
    "ScheduleTrigger",
    "SendDm",
    "Step",
    "StepBase",
    "StepId",
    "Strict",
    "Trigger",
    "Variable",
    "Wait",
    "WaitReply",
    "check_cron",
    "check_duration",
]
