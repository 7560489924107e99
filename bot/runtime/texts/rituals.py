"""The texts of a community's rituals: listing, switching on and off, customising, running one
now, and what their launches and runs report (started, counted, failed, stopped, undelivered)."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "rituals_list": {"en": "Rituals in {name}:\n{lines}", "fr": "Rituels de {name} :\n{lines}"},
    "ritual_line_on": {"en": "• {ritual} ({title}) — on", "fr": "• {ritual} ({title}) — activé"},
    "ritual_line_off": {
        "en": "• {ritual} ({title}) — off",
        "fr": "• {ritual} ({title}) — désactivé",
    },
    "ritual_customised": {"en": " (customised)", "fr": " (personnalisé)"},
    "ritual_set": {
        "en": "{title} customised in {name}: {fields}.",
        "fr": "{title} personnalisé dans {name} : {fields}.",
    },
    "ritual_reset": {
        "en": "{title} is back to its bundled texts and schedule in {name}.",
        "fr": "{title} reprend ses textes et horaires d'origine dans {name}.",
    },
    "bad_override_key": {
        "en": "“{setting}” cannot be set (schedule, digest, text.<step>.<en|fr>, wait.<step> "
        "or reminder.<step>)",
        "fr": "« {setting} » ne peut pas être modifié (schedule, digest, text.<étape>.<en|fr>, "
        "wait.<étape> ou reminder.<étape>)",
    },
    "ritual_enabled": {"en": "{title} is on in {name}.", "fr": "{title} est activé dans {name}."},
    "ritual_disabled": {
        "en": "{title} is off in {name}.",
        "fr": "{title} est désactivé dans {name}.",
    },
    # -- lifecycle: launches, failed runs, stopped rituals ------------------------------------
    "launch_counted": {
        "en": "{title} in {name}: {now} member(s) asked now, {later} later (outside their "
        "working hours).",
        "fr": "{title} dans {name} : {now} membre(s) sollicité(s) maintenant, {later} plus tard "
        "(hors de leurs heures de travail).",
    },
    "launch_failed": {
        "en": "{title} in {name} could not be started for every member ({done} asked): {reason}.",
        "fr": "{title} dans {name} n'a pas pu démarrer pour tous les membres ({done} "
        "sollicité(s)) : {reason}.",
    },
    "run_failed": {
        "en": "{title} stopped for {who} in {name}: {reason}. If the community "
        "customised it, /animateur rituals reset {ritual} goes back to the bundled version.",
        "fr": "{title} s'est arrêté pour {who} dans {name} : {reason}. Si la "
        "communauté l'a personnalisé, /animateur rituals reset {ritual} revient à la version "
        "d'origine.",
    },
    "run_failed_community": {"en": "the community", "fr": "la communauté"},
    "run_stopped_click": {
        "en": "You stopped “{title}”: this button does nothing any more. "
        "(optin {ritual} to get it back)",
        "fr": "Vous avez arrêté « {title} » : ce bouton ne fait plus rien. "
        "(optin {ritual} pour le reprendre)",
    },
    "run_over_click": {
        "en": "“{title}” is over: this button does nothing any more.",
        "fr": "« {title} » est terminé : ce bouton ne fait plus rien.",
    },
    "run_started_members": {
        "en": "{title} starts now for the members of {name}: I will tell you how many were "
        "asked now and how many later (outside their working hours).",
        "fr": "{title} démarre maintenant pour les membres de {name} : je vous dirai combien "
        "ont été sollicités maintenant et combien plus tard (hors de leurs heures de travail).",
    },
    "run_started_community": {
        "en": "{title} starts now in {name} (what it posts waits for the community's working "
        "hours).",
        "fr": "{title} démarre maintenant dans {name} (ses messages attendent les heures de "
        "travail de la communauté).",
    },
    "run_unknown": {
        "en": "unknown ritual “{ritual}” (rituals you can run here: {runnable})",
        "fr": "rituel inconnu « {ritual} » (rituels que vous pouvez lancer ici : {runnable})",
    },
    "run_not_scheduled": {
        "en": "{title} ({ritual}) is not a scheduled ritual: it starts by itself when its "
        "moment comes (a member joining, a button, a command), so it cannot be run now. "
        "Rituals you can run here: {runnable}.",
        "fr": "{title} ({ritual}) n'est pas un rituel programmé : il démarre de lui-même le "
        "moment venu (l'arrivée d'un membre, un bouton, une commande), il ne peut donc pas être "
        "lancé maintenant. Rituels que vous pouvez lancer ici : {runnable}.",
    },
    "run_off": {
        "en": "{title} is off in {name}: /animateur rituals enable {ritual} first.",
        "fr": "{title} est désactivé dans {name} : /animateur rituals enable {ritual} d'abord.",
    },
    "launch_started_community": {
        "en": "{title} started in {name}.",
        "fr": "{title} a démarré dans {name}.",
    },
    "launch_under_way": {
        "en": "{title} was already under way in {name} (started less than 20 hours ago): "
        "nothing new was started.",
        "fr": "{title} était déjà en cours dans {name} (démarré il y a moins de 20 heures) : "
        "rien de nouveau n'a démarré.",
    },
    # -- trying ritual settings on a busy machine -------------------------------------------
    "trial_busy": {
        "en": "The bot is too busy to try these settings right now, so nothing was changed. "
        "Please try again in a minute.",
        "fr": "Le bot est trop occupé pour essayer ces réglages pour l'instant : rien n'a été "
        "modifié. Réessayez dans une minute.",
    },
    # -- rituals in the conversation: a post never delivered (review of issue 12) --
    "ritual_post_undelivered": {
        "en": "{title} in {name}: its post in the channel could not be delivered, so its "
        "thread could not be counted. This round is not counted (it is not a round nobody "
        "answered) and nothing more was posted. Check that the bot can still post in the "
        "channel; the next round starts as planned.",
        "fr": "{title} dans {name} : sa publication dans le canal n'a pas pu être remise, son "
        "fil n'a donc pas pu être compté. Ce tour n'est pas compté (ce n'est pas un tour sans "
        "réponse) et rien d'autre n'a été publié. Vérifiez que le bot peut toujours publier "
        "dans le canal ; le prochain tour démarre comme prévu.",
    },
}
