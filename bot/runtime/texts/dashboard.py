"""The texts of the facilitator dashboard: the private link the command gives (or why not), and
the dashboard's pages."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
    # -- the dashboard without a usable key, or only a local address --
    "dashboard_no_key": {
        "en": "The dashboard cannot make links right now: the bot has no key to sign them "
        "(its key file cannot be written). Ask whoever runs the bot.",
        "fr": "Le tableau de bord ne peut pas faire de lien pour l'instant : le bot n'a pas de "
        "clé pour les signer (son fichier de clé ne peut pas être écrit). Demandez à qui "
        "l'administre.",
    },
    "dashboard_loopback": {
        "en": "Careful: this link only opens on the bot's own machine (its public address, "
        "ANIMATEUR_PUBLIC_URL, is a local one). Ask whoever runs the bot to set it.",
        "fr": "Attention : ce lien ne s'ouvre que sur la machine du bot (son adresse publique, "
        "ANIMATEUR_PUBLIC_URL, est une adresse locale). Demandez à qui l'administre de la "
        "régler.",
    },
}
