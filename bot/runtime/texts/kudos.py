"""The texts of kudos: thanking someone in the channel, what each side is told, and refusals."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
}
