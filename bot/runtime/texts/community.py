"""The texts of setting up and running a community: ``community show|setup`` and its form, its
facilitators, who may declare a community, and the charter a community gets by default."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
    "not_set": {"en": "(not set yet)", "fr": "(pas encore définie)"},
    "bad_target": {
        "en": "a whole number from 0 to 100",
        "fr": "un nombre entier de 0 à 100",
    },
    "bad_timezone": {
        "en": "unknown time zone (write e.g. Europe/Paris)",
        "fr": "fuseau inconnu (écrivez par ex. Europe/Paris)",
    },
    "bad_locale": {"en": "fr or en", "fr": "fr ou en"},
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
}


#: The charter a community gets when its facilitator writes none.
DEFAULT_CHARTER = {
    "en": "1. Share what you know, even unfinished. 2. Answer questions within two days. "
    "3. Thank those who help. 4. Be kind; no judgement.",
    "fr": "1. On partage ce qu'on sait, même imparfait. 2. On répond aux questions sous deux "
    "jours. 3. On remercie celles et ceux qui aident. 4. Bienveillance, pas de jugement.",
}
