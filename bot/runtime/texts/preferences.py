"""The texts of a member's own preferences: opting out of rituals and back in, snoozing them,
their language."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "opted_out": {
        "en": "Done: you will no longer receive {what}. (optin {target} to resume)",
        "fr": "C'est fait : vous ne recevrez plus {what}. (optin {target} pour reprendre)",
    },
    "opted_in": {
        "en": "Done: you receive {what} again.",
        "fr": "C'est fait : vous recevez à nouveau {what}.",
    },
    "all_rituals": {"en": "any ritual", "fr": "aucun rituel"},
    "all_rituals_again": {"en": "rituals", "fr": "les rituels"},
    "snoozed": {
        "en": "Rituals paused for you until {until}. (snooze off to resume)",
        "fr": "Rituels en pause pour vous jusqu'au {until}. (snooze off pour reprendre)",
    },
    "unsnoozed": {"en": "Rituals resume for you.", "fr": "Les rituels reprennent pour vous."},
    "bad_duration": {
        "en": "a duration such as 3d or 2w, at most 26w, or off",
        "fr": "une durée comme 3d ou 2w, 26w au plus, ou off",
    },
    "language_set": {"en": "I will speak English with you.", "fr": "Je vous parlerai en français."},
}
