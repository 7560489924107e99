"""The texts of the commands themselves: help, the usage and help line of every command, the
words and refusals all commands share, and the bounds of what a command may say."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "help_member": {
        "en": "What you can do:\n{lines}",
        "fr": "Ce que vous pouvez faire :\n{lines}",
    },
    "help_facilitator": {
        "en": "As a facilitator of {name}, also:\n{lines}",
        "fr": "En tant qu'animateur de {name}, aussi :\n{lines}",
    },
    "help_start": {
        "en": "This channel is not a community yet. To declare it:\n{line}",
        "fr": "Ce canal n'est pas encore une communauté. Pour la déclarer :\n{line}",
    },
    "unknown_command": {
        "en": "Unknown command “{asked}”. Available commands: {commands}.",
        "fr": "Commande inconnue « {asked} ». Commandes disponibles : {commands}.",
    },
    "usage": {"en": "Usage: {line}", "fr": "Utilisation : {line}"},
    "usage_community": {
        "en": '/animateur community show | setup [name="…" objective="…" charter="…" '
        "target=60 timezone=Europe/Paris locale=en rituals=welcome,checkin sponsors=@someone "
        "working_hours=09:00-18:00 working_days=mon-fri holidays=2026-12-25,2027-01-01 "
        'resources="…"]',
        "fr": '/animateur community show | setup [name="…" objective="…" charter="…" '
        "target=60 timezone=Europe/Paris locale=fr rituals=welcome,checkin sponsors=@quelqu'un "
        "working_hours=09:00-18:00 working_days=lun-ven holidays=2026-12-25,2027-01-01 "
        'resources="…"]',
    },
    "usage_facilitator": {
        "en": "/animateur facilitator add @someone | remove @someone",
        "fr": "/animateur facilitator add @quelqu'un | remove @quelqu'un",
    },
    "usage_rituals": {
        "en": "/animateur rituals list | enable <ritual> | disable <ritual> | run <ritual> | "
        "set <ritual> "
        'schedule="30 9 * * mon" digest="0 9 * * mon" (at most daily) text.<step>.<en|fr>="…" '
        'wait.<step>="fri 15:00" reminder.<step>=4h | reset <ritual>',
        "fr": "/animateur rituals list | enable <rituel> | disable <rituel> | run <rituel> | "
        "set <rituel> "
        'schedule="30 9 * * mon" digest="0 9 * * mon" (une fois par jour au plus) '
        'text.<étape>.<en|fr>="…" '
        'wait.<étape>="fri 15:00" reminder.<étape>=4h | reset <rituel>',
    },
    "usage_checkin": {
        "en": "/animateur checkin now (the same as /animateur rituals run checkin)",
        "fr": "/animateur checkin now (comme /animateur rituals run checkin)",
    },
    "usage_optout": {
        "en": "/animateur optout <ritual|all>",
        "fr": "/animateur optout <rituel|all>",
    },
    "usage_optin": {"en": "/animateur optin <ritual|all>", "fr": "/animateur optin <rituel|all>"},
    "usage_snooze": {
        "en": "/animateur snooze <duration: 3d, 2w…|off>",
        "fr": "/animateur snooze <durée : 3d, 2w…|off>",
    },
    "usage_language": {"en": "/animateur language fr|en", "fr": "/animateur language fr|en"},
    "usage_help": {"en": "/animateur help", "fr": "/animateur help"},
    "line_help": {"en": "• help — this list", "fr": "• help — cette liste"},
    "line_community": {
        "en": "• community show — this community's purpose, charter and people",
        "fr": "• community show — la raison d'être, la charte et les personnes de la communauté",
    },
    "line_rituals": {
        "en": "• rituals list — the rituals and whether they are on",
        "fr": "• rituals list — les rituels et s'ils sont activés",
    },
    "line_optout": {
        "en": "• optout <ritual|all>, optin <ritual|all> — stop or resume rituals for you",
        "fr": "• optout <rituel|all>, optin <rituel|all> — arrêter ou reprendre des rituels",
    },
    "line_snooze": {
        "en": "• snooze 2w — pause all rituals for a while (snooze off to resume)",
        "fr": "• snooze 2w — mettre les rituels en pause un temps (snooze off pour reprendre)",
    },
    "line_language": {
        "en": "• language fr|en — the language I speak with you",
        "fr": "• language fr|en — la langue dans laquelle je vous parle",
    },
    "line_setup": {
        "en": '• community setup key="value"… — declare or change the community',
        "fr": '• community setup clé="valeur"… — déclarer ou modifier la communauté',
    },
    "line_facilitator": {
        "en": "• facilitator add|remove @someone — who facilitates",
        "fr": "• facilitator add|remove @quelqu'un — qui anime",
    },
    "line_rituals_admin": {
        "en": "• rituals enable|disable <ritual> — switch rituals on or off",
        "fr": "• rituals enable|disable <rituel> — activer ou désactiver des rituels",
    },
    "line_rituals_set": {
        "en": "• rituals set|reset <ritual> … — this community's own texts and schedule",
        "fr": "• rituals set|reset <rituel> … — textes et horaires propres à cette communauté",
    },
    "not_facilitator": {
        "en": "Only the facilitators of {name} can do that ({facilitators}).",
        "fr": "Seuls les animateurs de {name} peuvent faire cela ({facilitators}).",
    },
    "needs_community": {
        "en": "Run this in a community's channel. {hint}",
        "fr": "Lancez cette commande dans le canal d'une communauté. {hint}",
    },
    "none": {"en": "none", "fr": "aucun"},
    "bad_value": {"en": "{field}: {problem}", "fr": "{field} : {problem}"},
    "bad_ritual": {
        "en": "unknown ritual “{name}” (known: {known})",
        "fr": "rituel inconnu « {name} » (connus : {known})",
    },
    # -- bounds: what a command may say (bot/runtime/arguments.py, rituals set) --
    "command_too_long": {
        "en": "This command is too long ({length} characters): at most {most} characters "
        "and {words} words.",
        "fr": "Cette commande est trop longue ({length} caractères) : {most} caractères "
        "et {words} mots au plus.",
    },
    "command_too_many_words": {
        "en": "This command has too many words ({count}): at most {words}.",
        "fr": "Cette commande a trop de mots ({count}) : {words} au plus.",
    },
    "unclosed_quote": {
        "en": 'A quote is not closed in “{start}”: close it, e.g. name="Data & AI".',
        "fr": "Un guillemet n'est pas fermé dans « {start} » : fermez-le, par ex. "
        'name="Data & IA".',
    },
    "too_many_overrides": {
        "en": "at most {most} settings at once",
        "fr": "{most} réglages au plus à la fois",
    },
    # -- the usage and help lines of the other commands --
    "usage_health": {"en": "/animateur health", "fr": "/animateur health"},
    "line_health": {
        "en": "• health — the community's pulse: figures, gap to target, warnings",
        "fr": "• health — le pouls de la communauté : chiffres, écart à la cible, alertes",
    },
    "line_rituals_run": {
        "en": "• rituals run <ritual> — run a scheduled ritual now ({rituals}; checkin now "
        "for the check-in)",
        "fr": "• rituals run <rituel> — lancer maintenant un rituel programmé ({rituals} ; "
        "checkin now pour le point hebdo)",
    },
    "usage_kudos": {
        "en": "/animateur kudos @someone for <reason>",
        "fr": "/animateur kudos @quelqu'un pour <raison>",
    },
    "line_kudos": {
        "en": "• kudos @someone for <reason> — thank someone in the channel (up to {most} a day)",
        "fr": "• kudos @quelqu'un pour <raison> — remercier quelqu'un dans le canal ({most} par "
        "jour au plus)",
    },
    "usage_dashboard": {"en": "/animateur dashboard", "fr": "/animateur dashboard"},
    "line_dashboard": {
        "en": "• dashboard — a private link to your communities' dashboard (valid 15 min)",
        "fr": "• dashboard — un lien privé vers le tableau de bord de vos communautés "
        "(valable 15 min)",
    },
    "usage_leaderboard": {
        "en": "/animateur leaderboard (in a community's channel)",
        "fr": "/animateur leaderboard (dans le canal d'une communauté)",
    },
    "line_leaderboard": {
        "en": "• leaderboard — the season's top contributors (challenge and kudos)",
        "fr": "• leaderboard — le classement de la saison (défis de partage et kudos)",
    },
    "usage_expert": {
        "en": "/animateur expert add <topic> · expert remove <topic> · expert list",
        "fr": "/animateur expert add <sujet> · expert remove <sujet> · expert list",
    },
    "line_expert": {
        "en": "• expert add <topic>, expert remove <topic>, expert list — the topics you know: "
        "questions in the channel on them may be sent to you (up to {most} a day)",
        "fr": "• expert add <sujet>, expert remove <sujet>, expert list — les sujets que vous "
        "connaissez : des questions du canal sur ces sujets peuvent vous être transmises "
        "({most} par jour au plus)",
    },
}
