"""The texts of the sharing challenge's leaderboard."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "leaderboard": {
        "en": "🏆 {name} — season {season}, top contributors:\n{lines}\n(One point per "
        "contribution to the challenge, reaction received on it, kudos received or given. "
        "Members who opted out of the challenge are not listed.)",
        "fr": "🏆 {name} — saison {season}, le classement :\n{lines}\n(Un point par "
        "contribution au défi, réaction reçue dessus, kudos reçu ou donné. Les membres qui "
        "ont quitté le défi n'apparaissent pas.)",
    },
    "leaderboard_line": {
        "en": "{rank}. {name} — {points} pts (contributions {contributions} · reactions "
        "{reactions} · kudos received {received} · given {given})",
        "fr": "{rank}. {name} — {points} pts (contributions {contributions} · réactions "
        "{reactions} · kudos reçus {received} · donnés {given})",
    },
    "leaderboard_empty": {
        "en": "Nothing on {name}'s leaderboard yet this season ({season}): the next sharing "
        "challenge — or a kudos to someone who helped you — is a fine start!",
        "fr": "Rien encore au classement de {name} cette saison ({season}) : le prochain défi "
        "de partage — ou un kudos à quelqu'un qui vous a aidé — est un bon début !",
    },
}
