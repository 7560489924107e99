"""The texts of champions spotted: the weekly spotting, inviting a champion to facilitate or to
declare expert topics, and their answers."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
}
