"""Every user-facing text the runtime itself writes (playbook texts live in the playbooks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    "community_created": {
        "en": "{name} is now an Animateur community, and you facilitate it. Rituals on: {rituals}.",
        "fr": "{name} est maintenant une communauté Animateur, que vous animez. "
        "Rituels activés : {rituals}.",
    },
    "community_updated": {
        "en": "{name} updated: {fields}.",
        "fr": "{name} mise à jour : {fields}.",
    },
    "community_show": {
        "en": "*{name}*\nWhy it exists: {objective}\nCharter: {charter}\nFacilitators: "
        "{facilitators} · Sponsors: {sponsors}\nTarget engagement: {target} % · Time zone: "
        "{timezone} · Language: {language}\nWorking days: {days} · Working hours: {hours} · "
        "Holidays: {holidays}\n"
        "Useful things for newcomers: {resources}\nRituals on: {rituals}",
        "fr": "*{name}*\nRaison d'être : {objective}\nCharte : {charter}\nAnimateurs : "
        "{facilitators} · Sponsors : {sponsors}\nEngagement cible : {target} % · Fuseau : "
        "{timezone} · Langue : {language}\nJours travaillés : {days} · Horaires : {hours} · "
        "Jours fériés : {holidays}\n"
        "Ressources pour les nouveaux : {resources}\nRituels activés : {rituals}",
    },
    "none": {"en": "none", "fr": "aucun"},
    "not_set": {"en": "(not set yet)", "fr": "(pas encore définie)"},
    "bad_value": {"en": "{field}: {problem}", "fr": "{field} : {problem}"},
    "bad_target": {
        "en": "a whole number from 0 to 100",
        "fr": "un nombre entier de 0 à 100",
    },
    "bad_timezone": {
        "en": "unknown time zone (write e.g. Europe/Paris)",
        "fr": "fuseau inconnu (écrivez par ex. Europe/Paris)",
    },
    "bad_locale": {"en": "fr or en", "fr": "fr ou en"},
    "bad_ritual": {
        "en": "unknown ritual “{name}” (known: {known})",
        "fr": "rituel inconnu « {name} » (connus : {known})",
    },
    "bad_field": {
        "en": "unknown setting “{name}” (known: {known})",
        "fr": "réglage inconnu « {name} » (connus : {known})",
    },
    "bad_person": {
        "en": "“{value}” is not a person: mention them (@name)",
        "fr": "« {value} » n'est pas une personne : mentionnez-la (@nom)",
    },
    "facilitator_added": {
        "en": "{who} now facilitates {name}.",
        "fr": "{who} anime désormais {name}.",
    },
    "facilitator_removed": {
        "en": "{who} no longer facilitates {name}.",
        "fr": "{who} n'anime plus {name}.",
    },
    "last_facilitator": {
        "en": "A community keeps at least one facilitator.",
        "fr": "Une communauté garde au moins un animateur.",
    },
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
    # -- the community setup form (``community setup`` without arguments) --
    "setup_form_title": {"en": "Community setup", "fr": "Configurer la communauté"},
    "setup_form_new": {
        "en": "Declare this channel an Animateur community: fill in the form, and you will "
        "facilitate it.",
        "fr": "Déclarez ce canal communauté Animateur : remplissez le formulaire, et vous "
        "l'animerez.",
    },
    "setup_form_edit": {
        "en": "Change {name}: edit the fields and save. A field left empty stays as it is.",
        "fr": "Modifier {name} : changez les champs et enregistrez. Un champ laissé vide reste "
        "tel quel.",
    },
    "setup_form_open": {"en": "Open the form", "fr": "Ouvrir le formulaire"},
    "setup_form_submit": {"en": "Save", "fr": "Enregistrer"},
    "setup_field_name": {"en": "Name", "fr": "Nom"},
    "setup_field_objective": {
        "en": "Why it exists (for members, for the organisation)",
        "fr": "Raison d'être (pour les membres, pour l'organisation)",
    },
    "setup_field_charter": {"en": "Charter", "fr": "Charte"},
    "setup_field_facilitators": {"en": "Facilitators", "fr": "Animateurs"},
    "setup_field_sponsors": {"en": "Sponsors", "fr": "Sponsors"},
    "setup_field_target": {"en": "Target engagement (%)", "fr": "Engagement cible (%)"},
    "setup_field_timezone": {"en": "Time zone", "fr": "Fuseau horaire"},
    "setup_field_locale": {"en": "Language", "fr": "Langue"},
    "setup_field_rituals": {"en": "Rituals on", "fr": "Rituels activés"},
    "setup_field_working_hours": {"en": "Working hours", "fr": "Horaires de travail"},
    "setup_field_holidays": {"en": "Holidays", "fr": "Jours fériés"},
    "setup_field_resources": {
        "en": "Three useful things for newcomers (links, threads, tips)",
        "fr": "Trois choses utiles pour les nouveaux (liens, fils, astuces)",
    },
    "setup_hint_hours": {"en": "e.g. 09:00-18:00", "fr": "par ex. 09:00-18:00"},
    "setup_hint_holidays": {
        "en": "dates, comma-separated: 2026-12-25, 2027-01-01 (none: no holidays)",
        "fr": "dates séparées par des virgules : 2026-12-25, 2027-01-01 (none : aucun)",
    },
    "bad_hours": {
        "en": "write the working hours as 09:00-18:00",
        "fr": "écrivez les horaires sous la forme 09:00-18:00",
    },
    "bad_holidays": {
        "en": "“{value}” is not a date (write 2026-12-25)",
        "fr": "« {value} » n'est pas une date (écrivez 2026-12-25)",
    },
    "setup_hint_people": {
        "en": "user ids, comma-separated",
        "fr": "identifiants, séparés par des virgules",
    },
    "setup_hint_target": {"en": "a whole number from 0 to 100", "fr": "un entier de 0 à 100"},
    "setup_hint_timezone": {"en": "e.g. Europe/Paris", "fr": "par ex. Europe/Paris"},
    "setup_hint_locale": {"en": "fr or en", "fr": "fr ou en"},
    "setup_hint_rituals": {
        "en": "comma-separated, among: {known}",
        "fr": "séparés par des virgules, parmi : {known}",
    },
    "setup_not_applied": {
        "en": "Nothing was changed, please fix:",
        "fr": "Rien n'a été modifié, à corriger :",
    },
    "community_unchanged": {"en": "{name}: nothing to change.", "fr": "{name} : rien à changer."},
    "bad_name": {"en": "at most 200 characters", "fr": "200 caractères au plus"},
    "bad_facilitators": {"en": "at least one person", "fr": "au moins une personne"},
    # -- who may run a community (governance) ---------------------------------------------
    "not_creator": {
        "en": "Only the channel's creator, the workspace's administrators and the people the "
        "bot's administrator allowed (ANIMATEUR_COMMUNITY_CREATORS) can declare it a community. "
        "Ask one of them.",
        "fr": "Seuls le créateur du canal, les administrateurs de l'espace de travail et les "
        "personnes autorisées par l'administrateur du bot (ANIMATEUR_COMMUNITY_CREATORS) "
        "peuvent en faire une communauté. Demandez à l'un d'eux.",
    },
    "invite_first": {
        "en": "Invite @Animateur to this channel first ({how}), then try again.",
        "fr": "Invitez d'abord @Animateur dans ce canal ({how}), puis réessayez.",
    },
    "invite_how_slack": {
        "en": "type /invite @Animateur in the channel",
        "fr": "tapez /invite @Animateur dans le canal",
    },
    "invite_how_teams": {
        "en": "in the team: ⋯ → Manage team → Apps → add Animateur",
        "fr": "dans l'équipe : ⋯ → Gérer l'équipe → Applications → ajouter Animateur",
    },
    "invite_how_local": {"en": "add the bot to it", "fr": "ajoutez-y le bot"},
    "platform_unchecked": {
        "en": "Could not check this with the platform just now; nothing was changed. "
        "Please try again in a moment.",
        "fr": "Impossible de le vérifier auprès de la plateforme pour l'instant ; rien n'a été "
        "modifié. Réessayez dans un moment.",
    },
    "not_member": {
        "en": "{who}: not a member of this workspace (mention a member: @name)",
        "fr": "{who} : pas membre de cet espace de travail (mentionnez un membre : @nom)",
    },
    "last_member_facilitator": {
        "en": "A community keeps at least one facilitator who is a member of the workspace: "
        "add one before removing this one.",
        "fr": "Une communauté garde au moins un animateur membre de l'espace de travail : "
        "ajoutez-en un avant de retirer celui-ci.",
    },
    "too_many_facilitators": {
        "en": "A community has at most {limit} facilitators.",
        "fr": "Une communauté a au plus {limit} animateurs.",
    },
    "form_wrong_channel": {
        "en": "This form belongs to another channel; nothing was changed. Use `community setup` "
        "in the channel you want to change.",
        "fr": "Ce formulaire appartient à un autre canal ; rien n'a été modifié. Utilisez "
        "`community setup` dans le canal à modifier.",
    },
    "form_outdated": {
        "en": "This form is out of date: {name} has changed since it was opened. Nothing was "
        "changed; use `community setup` to open it again with the current settings.",
        "fr": "Ce formulaire n'est plus à jour : {name} a changé depuis son ouverture. Rien n'a "
        "été modifié ; utilisez `community setup` pour le rouvrir avec les réglages actuels.",
    },
    "bad_length": {"en": "at most {limit} characters", "fr": "{limit} caractères au plus"},
    "bad_people_count": {"en": "at most {limit} people", "fr": "{limit} personnes au plus"},
    "bad_holidays_count": {"en": "at most {limit} days", "fr": "{limit} jours au plus"},
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
    # -- community pulse: /animateur health (issue 11 §3) --
    "usage_health": {"en": "/animateur health", "fr": "/animateur health"},
    "line_health": {
        "en": "• health — the community's pulse: figures, gap to target, warnings",
        "fr": "• health — le pouls de la communauté : chiffres, écart à la cible, alertes",
    },
    "health_title": {
        "en": "Pulse of *{name}* — last 28 days",
        "fr": "Pouls de *{name}* — 28 derniers jours",
    },
    "health_share": {"en": "{count} ({pct} %)", "fr": "{count} ({pct} %)"},
    "health_fewer": {"en": "fewer than 5", "fr": "moins de 5"},
    "health_withheld": {"en": "— ({reason})", "fr": "— ({reason})"},
    "health_target": {"en": "target {target} %", "fr": "cible {target} %"},
    "health_below": {
        "en": "target {target} %: {gap} points below",
        "fr": "cible {target} % : {gap} points en dessous",
    },
    "health_above": {
        "en": "target {target} %: {gap} points above",
        "fr": "cible {target} % : {gap} points au-dessus",
    },
    "health_on_target": {
        "en": "target {target} %: on target",
        "fr": "cible {target} % : atteinte",
    },
    "health_members": {
        "en": "• Members: {members} · active: {active}",
        "fr": "• Membres : {members} · actifs : {active}",
    },
    "health_activity": {
        "en": "• Active in the last 7 days: {week} · contributors: {contributors}",
        "fr": "• Actifs ces 7 derniers jours : {week} · contributeurs : {contributors}",
    },
    "health_participation": {
        "en": "• Participation: {lurkers} silent · {occasional} occasional · {regular} regular",
        "fr": "• Participation : {lurkers} silencieux · {occasional} occasionnels · "
        "{regular} réguliers",
    },
    "health_part_withheld": {
        "en": "• Participation: {withheld}",
        "fr": "• Participation : {withheld}",
    },
    "health_questions": {
        "en": "• Questions: {asked} asked · {answered} answered ({pct} %) · "
        "{waiting} waiting for more than 48 h",
        "fr": "• Questions : {asked} posées · {answered} avec réponse ({pct} %) · "
        "{waiting} en attente depuis plus de 48 h",
    },
    "health_answer_time": {
        "en": " · first answer in {median} min (median), {p90} min (9 in 10)",
        "fr": " · première réponse en {median} min (médiane), {p90} min (9 sur 10)",
    },
    "health_questions_withheld": {
        "en": "• Questions: {withheld}",
        "fr": "• Questions : {withheld}",
    },
    "health_newcomers": {
        "en": "• Newcomers: {joined} joined · {spoke} posted within 14 days",
        "fr": "• Nouveaux : {joined} arrivés · {spoke} ont publié sous 14 jours",
    },
    "health_newcomers_withheld": {
        "en": "• Newcomers: {withheld}",
        "fr": "• Nouveaux : {withheld}",
    },
    "health_people": {
        "en": "• Pairs who interacted: {pairs} · sponsors last active: {sponsors} · "
        "facilitators: {facilitators}",
        "fr": "• Paires qui ont échangé : {pairs} · sponsors actifs pour la dernière fois : "
        "{sponsors} · animateurs : {facilitators}",
    },
    "health_never": {"en": "never", "fr": "jamais"},
    "health_weeks": {
        "en": "• Active share, week by week: {weeks} %",
        "fr": "• Part d'actifs, semaine après semaine : {weeks} %",
    },
    "health_warnings": {"en": "Warnings:", "fr": "Alertes :"},
    "health_no_warning": {"en": "No warning.", "fr": "Aucune alerte."},
    "warning_unanswered": {
        "en": "{count} question(s) unanswered for more than 48 h ({where}).",
        "fr": "{count} question(s) sans réponse depuis plus de 48 h ({where}).",
    },
    "action_unanswered": {
        "en": "Answer them, or ask someone who knows to.",
        "fr": "Répondez-y, ou demandez à quelqu'un qui sait de le faire.",
    },
    "warning_falling": {
        "en": "The active share fell three weeks in a row ({start} % → {end} %).",
        "fr": "La part d'actifs a baissé trois semaines de suite ({start} % → {end} %).",
    },
    "action_falling": {
        "en": "Post a question or a challenge this week, and invite two silent members "
        "to share what they do.",
        "fr": "Publiez une question ou un défi cette semaine, et invitez deux membres "
        "silencieux à partager ce qu'ils font.",
    },
    "warning_ritual_low": {
        "en": "Few answer the ritual {ritual}: {rate} %.",
        "fr": "Peu de membres répondent au rituel {ritual} : {rate} %.",
    },
    "action_ritual_low": {
        "en": "Shorten its question or move it to another time (rituals set).",
        "fr": "Raccourcissez sa question ou changez son horaire (rituals set).",
    },
    "warning_sponsor_silent": {
        "en": "No sponsor activity for {days} days.",
        "fr": "Aucune activité des sponsors depuis {days} jours.",
    },
    "action_sponsor_silent": {
        "en": "Ask your sponsor to post or react this week: leaders lead by example.",
        "fr": "Demandez à votre sponsor de publier ou de réagir cette semaine : l'exemple "
        "vient d'en haut.",
    },
    "warning_newcomers_silent": {
        "en": "{count} newcomer(s) did not post within their first 14 days.",
        "fr": "{count} nouveau(x) membre(s) n'ont rien publié pendant leurs 14 premiers jours.",
    },
    "action_newcomers_silent": {
        "en": "Welcome them personally and invite them to introduce themselves.",
        "fr": "Accueillez-les personnellement et invitez-les à se présenter.",
    },
    # -- rituals run, working days, kudos ---------------------------------------------------
    "line_rituals_run": {
        "en": "• rituals run <ritual> — run a scheduled ritual now ({rituals}; checkin now "
        "for the check-in)",
        "fr": "• rituals run <rituel> — lancer maintenant un rituel programmé ({rituals} ; "
        "checkin now pour le point hebdo)",
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
    "setup_field_working_days": {"en": "Working days", "fr": "Jours travaillés"},
    "setup_hint_days": {
        "en": "e.g. mon-fri, mon-sun, mon,wed,fri",
        "fr": "par ex. lun-ven, lun-dim, lun,mer,ven",
    },
    "bad_days_day": {
        "en": "“{value}” is not a day of the week (write e.g. mon-fri, mon,wed,fri or mon-sun; "
        "lun-ven in French)",
        "fr": "« {value} » n'est pas un jour de la semaine (écrivez par ex. lun-ven, lun,mer,ven "
        "ou lun-dim ; mon-fri en anglais)",
    },
    "bad_days_range": {
        "en": "“{value}” is not a range of days (write e.g. mon-fri)",
        "fr": "« {value} » n'est pas une plage de jours (écrivez par ex. lun-ven)",
    },
    "bad_days_empty": {
        "en": "at least one working day (e.g. mon-fri)",
        "fr": "au moins un jour travaillé (par ex. lun-ven)",
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
    "kudos_public": {
        "en": "🙌 {giver} thanks {receiver}: “{reason}”",
        "fr": "🙌 {giver} remercie {receiver} : « {reason} »",
    },
    "kudos_received": {
        "en": "🙌 {giver} thanked you in {name}: “{reason}”",
        "fr": "🙌 {giver} vous remercie dans {name} : « {reason} »",
    },
    "kudos_sent": {
        "en": "Your thanks to {receiver} is posted in {name}.",
        "fr": "Vos remerciements à {receiver} sont publiés dans {name}.",
    },
    "kudos_left": {
        "en": "You can give {left} more today.",
        "fr": "Vous pouvez en donner encore {left} aujourd'hui.",
    },
    "kudos_last": {
        "en": "That was your last kudos for today (at most {most} a day): you can give more "
        "from {reset} ({zone} time).",
        "fr": "C'était votre dernier kudos du jour ({most} par jour au plus) : vous pourrez en "
        "donner à nouveau à partir du {reset} (fuseau {zone}).",
    },
    "kudos_quota": {
        "en": "You have given your {most} kudos for today (at most {most} a day): you can give "
        "more from {reset} ({zone} time).",
        "fr": "Vous avez donné vos {most} kudos du jour ({most} par jour au plus) : vous pourrez "
        "en donner à nouveau à partir du {reset} (fuseau {zone}).",
    },
    "kudos_self": {
        "en": "Kudos thank someone else: you cannot give them to yourself.",
        "fr": "Les kudos remercient quelqu'un d'autre : vous ne pouvez pas vous en donner.",
    },
    "kudos_not_person": {
        "en": "{who} is not a person of this workspace (a bot, a deactivated account or someone "
        "unknown here): kudos go to colleagues. Mention them: @name",
        "fr": "{who} n'est pas une personne de cet espace de travail (un bot, un compte "
        "désactivé ou quelqu'un d'inconnu ici) : les kudos vont à des collègues. "
        "Mentionnez-les : @nom",
    },
    "kudos_opted_out": {
        "en": "{receiver} has switched off all rituals, so no public thanks for them: tell "
        "them directly!",
        "fr": "{receiver} a désactivé tous les rituels, donc pas de remerciement public : "
        "dites-le-lui directement !",
    },
    "kudos_no_reason": {
        "en": "say what you thank them for",
        "fr": "dites pour quoi vous remerciez",
    },
    "kudos_reason_long": {
        "en": "a reason of at most {limit} characters",
        "fr": "une raison de {limit} caractères au plus",
    },
    # -- community pulse: early warnings and the weekly digest (issue 11 §3) ----------------
    "alert_title": {
        "en": "Early warning for *{name}*:",
        "fr": "Alerte précoce pour *{name}* :",
    },
    "alert_footer": {
        "en": "(Each warning comes at most once a week; /animateur health shows the figures.)",
        "fr": "(Chaque alerte vient au plus une fois par semaine ; /animateur health montre "
        "les chiffres.)",
    },
    "digest_title": {
        "en": "Weekly pulse of *{name}* — week {week}",
        "fr": "Pouls hebdomadaire de *{name}* — semaine {week}",
    },
    "digest_weeks": {
        "en": "Week by week (active % · contributors % · questions answered %):",
        "fr": "Semaine après semaine (actifs % · contributeurs % · questions avec réponse %) :",
    },
    "digest_week": {
        "en": "• {week}: {active} · {contributors} · {answered} {arrow}",
        "fr": "• {week} : {active} · {contributors} · {answered} {arrow}",
    },
    "digest_week_withheld": {
        "en": "• {week}: {withheld}",
        "fr": "• {week} : {withheld}",
    },
    "digest_changed": {"en": "What changed:", "fr": "Ce qui a changé :"},
    "digest_change_active": {
        "en": "• Active share last week: {before} % → {now} % ({points} points {arrow})",
        "fr": "• Part d'actifs la semaine dernière : {before} % → {now} % ({points} points "
        "{arrow})",
    },
    "digest_change_members": {
        "en": "• Members since the last digest: {before} → {now}",
        "fr": "• Membres depuis le dernier bilan : {before} → {now}",
    },
    "digest_new_warning": {
        "en": "• New warning: {what}",
        "fr": "• Nouvelle alerte : {what}",
    },
    "digest_gone_warning": {
        "en": "• No longer a warning: {what}",
        "fr": "• Plus d'alerte : {what}",
    },
    "digest_first": {
        "en": "• First digest: the next one will compare with this one.",
        "fr": "• Premier bilan : le prochain se comparera à celui-ci.",
    },
    "digest_no_change": {
        "en": "• Nothing else changed since the last digest.",
        "fr": "• Rien d'autre n'a changé depuis le dernier bilan.",
    },
    "kind_unanswered": {
        "en": "questions unanswered for 48 h",
        "fr": "questions sans réponse depuis 48 h",
    },
    "kind_falling": {
        "en": "active share falling three weeks in a row",
        "fr": "part d'actifs en baisse trois semaines de suite",
    },
    "kind_ritual_low": {
        "en": "a ritual under 30 % of answers",
        "fr": "un rituel sous 30 % de réponses",
    },
    "kind_sponsor_silent": {
        "en": "no sponsor activity for 30 days",
        "fr": "aucune activité des sponsors depuis 30 jours",
    },
    "kind_newcomers_silent": {
        "en": "newcomers silent after 14 days",
        "fr": "nouveaux membres silencieux après 14 jours",
    },
    # -- facilitator dashboard (issue 13 §1, §2, §5) ------------------------------------------
    "usage_dashboard": {"en": "/animateur dashboard", "fr": "/animateur dashboard"},
    "line_dashboard": {
        "en": "• dashboard — a private link to your communities' dashboard (valid 15 min)",
        "fr": "• dashboard — un lien privé vers le tableau de bord de vos communautés "
        "(valable 15 min)",
    },
    "dashboard_link": {
        "en": "Your dashboard ({names}): {link}\nThis link is yours alone and opens it for "
        "15 minutes (then ask again); do not share it.",
        "fr": "Votre tableau de bord ({names}) : {link}\nCe lien est personnel et l'ouvre "
        "pendant 15 minutes (redemandez-en un ensuite) ; ne le partagez pas.",
    },
    "dashboard_refused": {
        "en": "The dashboard is for the facilitators of a community, and you facilitate none "
        "in this workspace. A facilitator can add you: /animateur facilitator add @you",
        "fr": "Le tableau de bord est réservé aux animateurs d'une communauté, et vous n'en "
        "animez aucune dans cet espace de travail. Un animateur peut vous ajouter : "
        "/animateur facilitator add @vous",
    },
    "dashboard_unavailable": {
        "en": "The dashboard is not set up on this bot (no key to sign links): ask whoever "
        "runs it.",
        "fr": "Le tableau de bord n'est pas configuré sur ce bot (pas de clé pour signer les "
        "liens) : demandez à qui l'administre.",
    },
    "dash_title": {"en": "Dashboard", "fr": "Tableau de bord"},
    "dash_communities": {"en": "Your communities", "fr": "Vos communautés"},
    "dash_open": {"en": "Open", "fr": "Ouvrir"},
    "dash_members_count": {"en": "{members} members", "fr": "{members} membres"},
    "dash_active_vs_target": {
        "en": "active (28 days): {active} · target {target} %",
        "fr": "actifs (28 jours) : {active} · cible {target} %",
    },
    "dash_warnings_count": {"en": "{count} warning(s)", "fr": "{count} alerte(s)"},
    "dash_back": {"en": "← All your communities", "fr": "← Toutes vos communautés"},
    "dash_subtitle": {
        "en": "The last 12 weeks, as of {at} (UTC weeks)",
        "fr": "Les 12 dernières semaines, au {at} (semaines UTC)",
    },
    "dash_csv": {"en": "Download the figures (CSV)", "fr": "Télécharger les chiffres (CSV)"},
    "dash_warnings": {"en": "Warnings and what to do", "fr": "Alertes et que faire"},
    "dash_no_warning": {"en": "No warning.", "fr": "Aucune alerte."},
    "dash_unanswered": {
        "en": "Questions unanswered for more than 48 h",
        "fr": "Questions sans réponse depuis plus de 48 h",
    },
    "dash_no_unanswered": {
        "en": "None: every question got an answer within 48 h.",
        "fr": "Aucune : chaque question a eu une réponse en moins de 48 h.",
    },
    "dash_asked_at": {"en": "asked {at}", "fr": "posée le {at}"},
    "dash_numbers": {"en": "The numbers", "fr": "Les chiffres"},
    "dash_week": {"en": "Week", "fr": "Semaine"},
    "dash_target": {"en": "Target %", "fr": "Cible %"},
    "dash_active_pct": {"en": "Active %", "fr": "Actifs %"},
    "dash_answered_pct": {"en": "Answered %", "fr": "Répondues %"},
    "dash_median_minutes": {"en": "Median minutes", "fr": "Minutes (médiane)"},
    "dash_group": {"en": "Group", "fr": "Groupe"},
    "dash_members": {"en": "Members", "fr": "Membres"},
    "dash_ritual": {"en": "Ritual", "fr": "Rituel"},
    "dash_response_rate": {"en": "Response rate", "fr": "Taux de réponse"},
    "dash_rate": {
        "en": "{rate} % ({answered} of {asked})",
        "fr": "{rate} % ({answered} sur {asked})",
    },
    "dash_chart_active": {
        "en": "Active members, % per week, against the target",
        "fr": "Membres actifs, % par semaine, face à la cible",
    },
    "dash_chart_participation": {
        "en": "Participation: members by posts and replies in the 28 days to each week's end",
        "fr": "Participation : membres selon leurs messages et réponses sur les 28 jours "
        "précédant chaque fin de semaine",
    },
    "dash_chart_answered": {
        "en": "Questions answered, % per week",
        "fr": "Questions ayant reçu une réponse, % par semaine",
    },
    "dash_chart_answer_time": {
        "en": "Median time to first answer, minutes per week",
        "fr": "Délai médian de première réponse, minutes par semaine",
    },
    "dash_chart_newcomers": {
        "en": "Newcomers, last 28 days: joined and contributed within 14 days",
        "fr": "Nouveaux membres, 28 derniers jours : arrivés et contributeurs sous 14 jours",
    },
    "dash_chart_rituals": {
        "en": "Ritual response rates, last 28 days",
        "fr": "Taux de réponse aux rituels, 28 derniers jours",
    },
    "dash_lurkers": {"en": "Silent (no post)", "fr": "Silencieux (aucun message)"},
    "dash_occasional": {"en": "Occasional (1–3)", "fr": "Occasionnels (1–3)"},
    "dash_regular": {"en": "Regular (4+)", "fr": "Réguliers (4+)"},
    "dash_joined": {"en": "Joined", "fr": "Arrivés"},
    "dash_contributed": {"en": "Contributed within 14 days", "fr": "Ont contribué sous 14 jours"},
    "dash_nothing_to_draw": {
        "en": "Nothing to draw: every figure is withheld or unknown (see the table).",
        "fr": "Rien à tracer : chaque chiffre est masqué ou inconnu (voir le tableau).",
    },
    "dash_no_ritual": {
        "en": "No ritual asked anything in the last 28 days.",
        "fr": "Aucun rituel n'a rien demandé ces 28 derniers jours.",
    },
    "dash_withheld_note": {
        "en": "Figures over fewer than 5 people are withheld to protect privacy: they show "
        "why instead of a number.",
        "fr": "Les chiffres portant sur moins de 5 personnes sont masqués pour protéger la vie "
        "privée : la raison s'affiche à la place.",
    },
    "dash_reason_fewer": {"en": "fewer than 5 people", "fr": "moins de 5 personnes"},
    "dash_reason_no_question": {"en": "no question asked", "fr": "aucune question posée"},
    "dash_reason_no_answer": {
        "en": "no question answered",
        "fr": "aucune question n'a eu de réponse",
    },
    "dash_denied_title": {"en": "Access refused", "fr": "Accès refusé"},
    "dash_denied_expired": {
        "en": "This link has expired (links last 15 minutes) or your session is over.",
        "fr": "Ce lien a expiré (les liens durent 15 minutes) ou votre session est terminée.",
    },
    "dash_denied_invalid": {
        "en": "This link is not valid.",
        "fr": "Ce lien n'est pas valide.",
    },
    "dash_denied_none": {
        "en": "You are not signed in to the dashboard.",
        "fr": "Vous n'êtes pas connecté au tableau de bord.",
    },
    "dash_denied_not_yours": {
        "en": "This dashboard is only open to the facilitators of the community, in their "
        "own workspace.",
        "fr": "Ce tableau de bord n'est ouvert qu'aux animateurs de la communauté, dans leur "
        "propre espace de travail.",
    },
    "dash_denied_how": {
        "en": "Ask the bot for a new link: /animateur dashboard — or open its Home again "
        "(on Teams: type home to it) and use the button there: a button's link, too, lasts "
        "15 minutes.",
        "fr": "Demandez un nouveau lien au bot : /animateur dashboard — ou rouvrez son accueil "
        "(sur Teams : écrivez-lui home) et utilisez le bouton : le lien d'un bouton dure lui "
        "aussi 15 minutes.",
    },
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
    # -- review of issue 13: the dashboard without a usable key ----------------------------
    "dashboard_no_key": {
        "en": "The dashboard cannot make links right now: the bot has no key to sign them "
        "(its key file cannot be written). Ask whoever runs the bot.",
        "fr": "Le tableau de bord ne peut pas faire de lien pour l'instant : le bot n'a pas de "
        "clé pour les signer (son fichier de clé ne peut pas être écrit). Demandez à qui "
        "l'administre.",
    },
    # -- links to messages, for facilitators (issue 11 §2, issue 13 §1) -----------------------
    "question_link": {"en": "question of {day}", "fr": "question du {day}"},
    # -- the sharing challenge's leaderboard (issue 12) -------------------------------------
    "usage_leaderboard": {
        "en": "/animateur leaderboard (in a community's channel)",
        "fr": "/animateur leaderboard (dans le canal d'une communauté)",
    },
    "line_leaderboard": {
        "en": "• leaderboard — the season's top contributors (challenge and kudos)",
        "fr": "• leaderboard — le classement de la saison (défis de partage et kudos)",
    },
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
    # -- issue 12 §2: questions to experts (topics) -----------------------------------------
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
    "expert_bad_topic": {
        "en": "A topic is a few words (at most {most} characters), e.g. “data viz”.",
        "fr": "Un sujet tient en quelques mots ({most} caractères au plus), par exemple "
        "« data viz ».",
    },
    "expert_own_only": {
        "en": "You can only declare your own topics: name a topic, not a person.",
        "fr": "Vous ne déclarez que vos propres sujets : indiquez un sujet, pas une personne.",
    },
    "expert_added": {
        "en": "Noted: you know “{topic}”. Your topics: {topics}.",
        "fr": "C'est noté : vous connaissez « {topic} ». Vos sujets : {topics}.",
    },
    "expert_already": {
        "en": "“{topic}” is already one of your topics.",
        "fr": "« {topic} » fait déjà partie de vos sujets.",
    },
    "expert_too_many": {
        "en": "You have {most} topics already: remove one first (/animateur expert remove "
        "<topic>).",
        "fr": "Vous avez déjà {most} sujets : retirez-en un d'abord (/animateur expert remove "
        "<sujet>).",
    },
    "expert_removed": {
        "en": "“{topic}” is no longer one of your topics.",
        "fr": "« {topic} » ne fait plus partie de vos sujets.",
    },
    "expert_not_yours": {
        "en": "“{topic}” is not one of your topics. Yours: {topics}.",
        "fr": "« {topic} » ne fait pas partie de vos sujets. Les vôtres : {topics}.",
    },
    "expert_yours": {"en": "Your topics: {topics}.", "fr": "Vos sujets : {topics}."},
    "expert_yours_none": {
        "en": "You have declared no topic yet: /animateur expert add <topic>.",
        "fr": "Vous n'avez encore déclaré aucun sujet : /animateur expert add <sujet>.",
    },
    "expert_community": {
        "en": "Experts of {name}, by topic:\n{lines}",
        "fr": "Les experts de {name}, par sujet :\n{lines}",
    },
    "expert_community_none": {
        "en": "Nobody in {name} has declared a topic yet.",
        "fr": "Personne dans {name} n'a encore déclaré de sujet.",
    },
    "expert_no_name": {"en": "(no name)", "fr": "(sans nom)"},
    "expert_more": {"en": "… and {count} more topics", "fr": "… et {count} autres sujets"},
    "health_solved": {
        "en": " · {solved} solved, as their askers said ({pct} % of the answered)",
        "fr": " · {solved} résolues selon leurs auteurs ({pct} % de celles avec réponse)",
    },
    # -- review of issue 13 (second pass): cockpit defects ---------------------------------
    "dashboard_loopback": {
        "en": "Careful: this link only opens on the bot's own machine (its public address, "
        "ANIMATEUR_PUBLIC_URL, is a local one). Ask whoever runs the bot to set it.",
        "fr": "Attention : ce lien ne s'ouvre que sur la machine du bot (son adresse publique, "
        "ANIMATEUR_PUBLIC_URL, est une adresse locale). Demandez à qui l'administre de la "
        "régler.",
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
    # -- trying ritual settings on a busy machine -------------------------------------------
    "trial_busy": {
        "en": "The bot is too busy to try these settings right now, so nothing was changed. "
        "Please try again in a minute.",
        "fr": "Le bot est trop occupé pour essayer ces réglages pour l'instant : rien n'a été "
        "modifié. Réessayez dans une minute.",
    },
    # -- champions spotted (issue 14 §4) -------------------------------------------------
    "champion_spotted": {
        "en": "🏅 Champion spotted in {name} this week: {who} — {reason}.",
        "fr": "🏅 Un·e champion·ne repéré·e dans {name} cette semaine : {who} — {reason}.",
    },
    "champion_answered": {
        "en": "answered others' questions",
        "fr": "a répondu aux questions des autres",
    },
    "champion_threads": {
        "en": "started threads that got replies",
        "fr": "a lancé des discussions qui ont eu des réponses",
    },
    "champion_welcomed": {
        "en": "welcomed newcomers",
        "fr": "a accueilli des nouveaux membres",
    },
    "champion_add_facilitator": {"en": "Add as facilitator", "fr": "Ajouter comme animateur"},
    "champion_suggest_expert": {"en": "Suggest as expert", "fr": "Suggérer comme expert"},
    "champion_gone": {
        "en": "This button is out of date: its community no longer exists.",
        "fr": "Ce bouton n'est plus à jour : sa communauté n'existe plus.",
    },
    "champion_not_facilitator": {
        "en": "Only the facilitators of {name} can use this button.",
        "fr": "Seuls les animateurs de {name} peuvent utiliser ce bouton.",
    },
    "champion_left": {
        "en": "{who} is no longer in {name}: nothing was sent.",
        "fr": "{who} n'est plus dans {name} : rien n'a été envoyé.",
    },
    "champion_unreachable": {
        "en": "{who} cannot be asked by the bot now (they stopped its messages): nothing was sent.",
        "fr": "{who} ne peut pas être sollicité·e par le bot pour l'instant (ses messages sont "
        "arrêtés) : rien n'a été envoyé.",
    },
    "champion_already_facilitator": {
        "en": "{who} is already a facilitator of {name}.",
        "fr": "{who} anime déjà {name}.",
    },
    "champion_too_many": {
        "en": "{name} already has as many facilitators as it may: remove one with "
        "`/animateur community setup` first.",
        "fr": "{name} a déjà autant d'animateurs que possible : retirez-en un avec "
        "`/animateur community setup` d'abord.",
    },
    "champion_already_asked": {
        "en": "{who} was already asked to facilitate {name} and has not answered yet.",
        "fr": "{who} a déjà été invité·e à animer {name} et n'a pas encore répondu.",
    },
    "champion_asked": {
        "en": "{who} was asked whether they want to facilitate {name}: you will be told their "
        "answer.",
        "fr": "On a demandé à {who} s'il ou elle veut animer {name} : vous serez prévenu·e de "
        "sa réponse.",
    },
    "champion_invitation": {
        "en": "{by} invites you to become a facilitator of {name}: you would receive its "
        "weekly health digest and could change its setup and rituals. Do you accept?",
        "fr": "{by} vous invite à devenir animateur ou animatrice de {name} : vous recevriez "
        "son bilan de santé hebdomadaire et pourriez modifier sa configuration et ses "
        "rituels. Acceptez-vous ?",
    },
    "champion_accept": {"en": "Accept", "fr": "Accepter"},
    "champion_decline": {"en": "Decline", "fr": "Décliner"},
    "champion_invite_unknown": {
        "en": "This invitation is not yours or no longer exists: nothing was changed.",
        "fr": "Cette invitation ne vous est pas adressée ou n'existe plus : rien n'a changé.",
    },
    "champion_answered_accepted": {
        "en": "You already accepted to facilitate {name}.",
        "fr": "Vous avez déjà accepté d'animer {name}.",
    },
    "champion_answered_declined": {
        "en": "You already declined to facilitate {name}.",
        "fr": "Vous avez déjà décliné l'animation de {name}.",
    },
    "champion_answered_lapsed": {
        "en": "This invitation to facilitate {name} has lapsed.",
        "fr": "Cette invitation à animer {name} n'est plus valable.",
    },
    "champion_you_declined": {
        "en": "Noted: you will not facilitate {name}. Thank you for what you do there!",
        "fr": "C'est noté : vous n'animerez pas {name}. Merci pour ce que vous y faites !",
    },
    "champion_you_are_already": {
        "en": "You are already a facilitator of {name}.",
        "fr": "Vous animez déjà {name}.",
    },
    "champion_invite_lapsed": {
        "en": "This invitation has lapsed: {by} no longer facilitates {name}. Nothing was changed.",
        "fr": "Cette invitation n'est plus valable : {by} n'anime plus {name}. Rien n'a changé.",
    },
    "champion_you_left": {
        "en": "You are no longer in {name}: nothing was changed.",
        "fr": "Vous n'êtes plus dans {name} : rien n'a changé.",
    },
    "champion_invite_full": {
        "en": "{name} already has as many facilitators as it may: nothing was changed.",
        "fr": "{name} a déjà autant d'animateurs que possible : rien n'a changé.",
    },
    "champion_you_accepted": {
        "en": "Welcome among the facilitators of {name}! Type `/animateur community show` in "
        "its channel to see its setup.",
        "fr": "Bienvenue parmi les animateurs de {name} ! Tapez `/animateur community show` "
        "dans son canal pour voir sa configuration.",
    },
    "champion_told_accepted": {
        "en": "{who} accepted: they are now a facilitator of {name}.",
        "fr": "{who} a accepté : il ou elle anime désormais {name}.",
    },
    "champion_told_declined": {
        "en": "{who} declined to facilitate {name}; nothing was changed.",
        "fr": "{who} a décliné l'animation de {name} ; rien n'a changé.",
    },
    "champion_expert_stopped": {
        "en": "{who} stopped the experts ritual: nothing was sent.",
        "fr": "{who} a arrêté le rituel des experts : rien n'a été envoyé.",
    },
    "champion_expert_suggestion": {
        "en": "{by}, facilitator of {name}, thinks others would gain from what you know. "
        "Declare your topics with `/animateur expert add <topic>` (one at a time): questions "
        "on them will then reach you. Your topics now: {topics}.",
        "fr": "{by}, qui anime {name}, pense que d'autres gagneraient à profiter de ce que "
        "vous savez. Déclarez vos sujets avec `/animateur expert add <sujet>` (un à la fois) : "
        "les questions qui en parlent vous parviendront. Vos sujets actuels : {topics}.",
    },
    "champion_expert_suggested": {
        "en": "{who} was invited to declare their expert topics.",
        "fr": "{who} a été invité·e à déclarer ses sujets d'expertise.",
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
    # -- connection rituals (nudges, sponsors): the weekly health digest's lines --
    "digest_connections": {"en": "Connection rituals:", "fr": "Rituels de lien :"},
    "digest_nudged": {
        "en": "• Silent members nudged in the last 7 days: {count}",
        "fr": "• Membres silencieux relancés ces 7 derniers jours : {count}",
    },
    "digest_nudged_withheld": {
        "en": "• Silent members nudged in the last 7 days: {withheld}",
        "fr": "• Membres silencieux relancés ces 7 derniers jours : {withheld}",
    },
    "digest_sponsors_active": {
        "en": "• Sponsors who posted, replied or reacted: {week} of {sponsors} in the last 7 "
        "days, {month} of {sponsors} in the last 30 days",
        "fr": "• Sponsors qui ont posté, répondu ou réagi : {week} sur {sponsors} ces 7 derniers "
        "jours, {month} sur {sponsors} ces 30 derniers jours",
    },
}


def text(key: str, locale: str, **values: Any) -> str:
    forms = TEXTS[key]
    return forms.get(locale, forms["en"]).format(**values)


#: The charter a community gets when its facilitator writes none.
DEFAULT_CHARTER = {
    "en": "1. Share what you know, even unfinished. 2. Answer questions within two days. "
    "3. Thank those who help. 4. Be kind; no judgement.",
    "fr": "1. On partage ce qu'on sait, même imparfait. 2. On répond aux questions sous deux "
    "jours. 3. On remercie celles et ceux qui aident. 4. Bienveillance, pas de jugement.",
}
