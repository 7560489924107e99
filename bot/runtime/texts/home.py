"""The texts of the home (Slack App Home, the Teams personal tab): a member's communities and the
rituals they receive, a facilitator's communities at a glance, a member's own contributions."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "home_title": {"en": "Animateur", "fr": "Animateur"},
    "home_intro": {
        "en": "Your communities and the rituals you receive. Switch off any ritual at any time.",
        "fr": "Vos communautés et les rituels que vous recevez. "
        "Désactivez un rituel quand vous voulez.",
    },
    "home_no_community": {
        "en": "You have not joined any Animateur community yet.",
        "fr": "Vous n'avez encore rejoint aucune communauté Animateur.",
    },
    "home_ritual_on": {"en": "• {title}: on", "fr": "• {title} : activé"},
    "home_ritual_off": {"en": "• {title}: off for you", "fr": "• {title} : désactivé pour vous"},
    "home_no_ritual": {"en": "No ritual is on here.", "fr": "Aucun rituel n'est activé ici."},
    "button_optout": {"en": "Stop “{title}”", "fr": "Arrêter « {title} »"},
    "button_optin": {"en": "Resume “{title}”", "fr": "Reprendre « {title} »"},
    "button_optout_all": {"en": "Pause all rituals", "fr": "Mettre tous les rituels en pause"},
    "button_optin_all": {"en": "Resume all rituals", "fr": "Reprendre tous les rituels"},
    "home_all_paused": {
        "en": "All rituals are paused for you.",
        "fr": "Tous les rituels sont en pause pour vous.",
    },
    "home_facilitating": {"en": "You facilitate: {name}", "fr": "Vous animez : {name}"},
    # -- the home: a facilitator's communities at a glance, a member's own contributions --
    "home_active": {
        "en": "Active members (28 days): {active} · target {target} %",
        "fr": "Membres actifs (28 jours) : {active} · objectif {target} %",
    },
    "home_active_withheld": {
        "en": "Active members (28 days): withheld — fewer than {min} members · target {target} %",
        "fr": "Membres actifs (28 jours) : non affiché — moins de {min} membres · "
        "objectif {target} %",
    },
    "home_running": {"en": "Rituals running: {running}", "fr": "Rituels en cours : {running}"},
    "home_warnings": {"en": "Open warnings: {count}", "fr": "Alertes ouvertes : {count}"},
    "home_no_warning": {"en": "No open warning.", "fr": "Aucune alerte ouverte."},
    "home_next_steps": {"en": "What to do next:", "fr": "Que faire maintenant :"},
    "button_dashboard": {"en": "Open the dashboard", "fr": "Ouvrir le tableau de bord"},
    "home_contributions": {
        "en": "Your contributions ({days} days, only you see them): {posts} posts · "
        "{replies} replies · {reactions} reactions · {kudos} kudos received",
        "fr": "Vos contributions ({days} jours, vous seul les voyez) : {posts} messages · "
        "{replies} réponses · {reactions} réactions · {kudos} kudos reçus",
    },
    "home_more_facilitated": {
        "en": "…and {count} more communities you facilitate: open the dashboard to see them all.",
        "fr": "…et {count} autres communautés que vous animez : ouvrez le tableau de bord pour "
        "les voir toutes.",
    },
    "home_more_joined": {
        "en": "…and {count} more communities you are in: type `/animateur optout <ritual>` "
        "(or `optin`) in one of them to stop (or resume) a ritual there.",
        "fr": "…et {count} autres communautés dont vous êtes membre : tapez "
        "`/animateur optout <rituel>` (ou `optin`) dans l'une d'elles pour y arrêter (ou "
        "reprendre) un rituel.",
    },
    "home_shortened": {
        "en": "This page was shortened to fit. Type `/animateur home` or open the dashboard "
        "for the rest.",
        "fr": "Cette page a été raccourcie pour tenir à l'écran. Tapez `/animateur home` ou "
        "ouvrez le tableau de bord pour la suite.",
    },
}
