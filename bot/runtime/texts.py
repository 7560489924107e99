"""Every user-facing text the runtime itself writes (playbook texts live in the playbooks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEXTS: Mapping[str, Mapping[str, str]] = {
    "help": {
        "en": "Animateur commands: {commands}.",
        "fr": "Commandes d'Animateur : {commands}.",
    },
    "unknown_command": {
        "en": "Unknown command “{asked}”. Available commands: {commands}.",
        "fr": "Commande inconnue « {asked} ». Commandes disponibles : {commands}.",
    },
    "not_a_community": {
        "en": "This channel is not an Animateur community yet.",
        "fr": "Ce canal n'est pas encore une communauté Animateur.",
    },
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
    "home_status": {
        "en": "Active members (30 days): {active} · target engagement {target} % · "
        "rituals running: {running}",
        "fr": "Membres actifs (30 jours) : {active} · engagement cible {target} % · "
        "rituels en cours : {running}",
    },
    "home_small_group": {"en": "fewer than 5", "fr": "moins de 5"},
}


def text(key: str, locale: str, **values: Any) -> str:
    forms = TEXTS[key]
    return forms.get(locale, forms["en"]).format(**values)
