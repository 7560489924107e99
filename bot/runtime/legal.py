"""The bot's own ``/privacy`` and ``/terms`` pages, in English and French.

The Teams app package points at them by default; they say what this code stores and does —
keep them true when that changes.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

LANGUAGES = ("en", "fr")

#: page → language → (title, sections of (heading, paragraphs))
Page = tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]

PRIVACY: dict[str, Page] = {
    "en": (
        "Animateur — privacy",
        (
            (
                "",
                (
                    "Animateur runs community rituals (welcomes, check-ins, recognition) in "
                    "Slack and Microsoft Teams. This page says what this bot stores. The "
                    "organisation that runs it — whoever installed it in your workspace — is "
                    "responsible for these data.",
                ),
            ),
            (
                "What is stored",
                (
                    "About members: the platform's user id, display name, language, time zone, "
                    "the rituals you opted out of or paused (snooze), and whether the bot can "
                    "reach you.",
                    "About communities: the channel, its name, objective, charter, "
                    "facilitators, sponsors, resources and ritual settings.",
                    "Activity metadata: who posted, replied, reacted, joined or left, in which "
                    "channel, what kind of activity and when; for a reply or a reaction, the "
                    "message it went to and that message's author; whether a message asks a "
                    "question (decided when it arrives, from its text, which is then "
                    "dropped) — never the text of messages.",
                    "Your answers to rituals (the buttons you click and the answers you write "
                    "to the bot's questions), and where each ritual stands.",
                    "Kudos: who thanked whom, in which community, when, and the reason written "
                    "(it is posted in the community's channel).",
                    "The messages the bot sends, queued until delivered, with their delivery "
                    "status; their text is erased 30 days after they were sent (as the "
                    "operator sets it), who they went to and when stay.",
                    "What the platform needs to reach you: on Slack, the workspace's "
                    "installation (its access tokens are encrypted when the operator sets a "
                    "key, which production requires); on Teams, the conversation references "
                    "Bot Framework gives the bot.",
                ),
            ),
            (
                "What is not stored",
                (
                    "The text of the messages posted in channels (only that a message was "
                    "posted) and files. The bot's logs hold ids, kinds and "
                    "counts, never message text.",
                ),
            ),
            (
                "Who sees it",
                (
                    "The data stay in the bot's database and go to no one else than the chat "
                    "platform it runs on (Slack or Microsoft Teams). Facilitators see their "
                    "community's engagement and the answers to its rituals.",
                ),
            ),
            (
                "How long",
                (
                    "Identifiers of processed platform events are kept 7 days; activity "
                    "metadata 400 days by default (as the operator sets it), then only daily "
                    "counts per member; the text of the messages the bot sent 30 days after "
                    "sending. Everything else is kept as long as the bot runs for your "
                    "workspace, until its operator deletes it or you ask for its erasure.",
                ),
            ),
            (
                "Your choices",
                (
                    "optout <ritual> or optout all stops rituals for you, snooze 2w pauses "
                    "them, language en|fr changes the language (/animateur … on Slack, a "
                    "message to the bot on Teams).",
                    "To get a copy of your data (GDPR article 15) or have it erased (article "
                    "17), ask the operator of this bot (your workspace's administrators): "
                    "everything above is in its database under your platform user id, and "
                    "one command exports it all as JSON, another erases it all — only "
                    "counts that name nobody remain and, if you had opted out, that choice, "
                    "kept under a keyed code that does not name you, so that the bot still "
                    "leaves you alone should you come back.",
                ),
            ),
        ),
    ),
    "fr": (
        "Animateur — confidentialité",
        (
            (
                "",
                (
                    "Animateur anime des rituels de communauté (accueil, points réguliers, "
                    "reconnaissance) dans Slack et Microsoft Teams. Cette page dit ce que ce "
                    "bot conserve. L'organisation qui l'exploite — celle qui l'a installé dans "
                    "votre espace de travail — est responsable de ces données.",
                ),
            ),
            (
                "Ce qui est conservé",
                (
                    "Sur les membres : l'identifiant donné par la plateforme, le nom affiché, "
                    "la langue, le fuseau horaire, les rituels que vous avez refusés ou mis en "
                    "pause (snooze), et si le bot peut vous joindre.",
                    "Sur les communautés : le canal, son nom, son objectif, sa charte, ses "
                    "animateurs, ses sponsors, ses ressources et les réglages des rituels.",
                    "Des métadonnées d'activité : qui a publié, répondu, réagi, rejoint ou "
                    "quitté, dans quel canal, quel type d'activité et quand ; pour une réponse "
                    "ou une réaction, le message visé et son auteur ; si un message pose une "
                    "question (décidé à son arrivée, d'après son texte, aussitôt oublié) — "
                    "jamais le texte des messages.",
                    "Vos réponses aux rituels (les boutons cliqués et les réponses écrites aux "
                    "questions du bot), et l'état de chaque rituel en cours.",
                    "Les kudos : qui a remercié qui, dans quelle communauté, quand, et la raison "
                    "écrite (publiée dans le canal de la communauté).",
                    "Les messages que le bot envoie, en file d'attente jusqu'à leur remise, avec "
                    "leur état d'envoi ; leur texte est effacé 30 jours après l'envoi (selon le "
                    "réglage de l'exploitant), le destinataire et la date restent.",
                    "Ce dont la plateforme a besoin pour vous joindre : sur Slack, "
                    "l'installation de l'espace de travail (ses jetons d'accès sont chiffrés "
                    "quand l'exploitant fournit une clé, obligatoire en production) ; sur "
                    "Teams, les références de conversation fournies par Bot Framework.",
                ),
            ),
            (
                "Ce qui n'est pas conservé",
                (
                    "Le texte des messages publiés dans les canaux (seulement le fait qu'un "
                    "message a été publié), les fichiers. Les journaux du bot contiennent des "
                    "identifiants, des types et des nombres, jamais le texte des messages.",
                ),
            ),
            (
                "Qui y a accès",
                (
                    "Les données restent dans la base du bot et ne vont à personne d'autre que "
                    "la plateforme de discussion où il fonctionne (Slack ou Microsoft Teams). "
                    "Les animateurs voient l'engagement de leur communauté et les réponses à "
                    "ses rituels.",
                ),
            ),
            (
                "Combien de temps",
                (
                    "Les identifiants des événements déjà traités sont gardés 7 jours ; les "
                    "métadonnées d'activité 400 jours par défaut (selon le réglage de "
                    "l'exploitant), puis seulement des décomptes quotidiens par membre ; le "
                    "texte des messages envoyés par le bot 30 jours après l'envoi. Tout le "
                    "reste est gardé tant que le bot fonctionne pour votre espace de travail, "
                    "jusqu'à ce que son exploitant le supprime ou que vous en demandiez "
                    "l'effacement.",
                ),
            ),
            (
                "Vos choix",
                (
                    "optout <rituel> ou optout all arrête des rituels pour vous, snooze 2w les "
                    "met en pause, language en|fr change la langue (/animateur … sur Slack, un "
                    "message au bot sur Teams).",
                    "Pour obtenir une copie de vos données (article 15 du RGPD) ou les faire "
                    "effacer (article 17), demandez-le à l'exploitant du bot (les "
                    "administrateurs de votre espace de travail) : tout ce qui précède est "
                    "dans sa base de données sous votre identifiant, une commande l'exporte "
                    "en entier en JSON, une autre l'efface en entier — seuls restent des "
                    "décomptes qui ne nomment personne et, si vous aviez refusé des rituels, "
                    "ce choix, gardé sous une empreinte à clé secrète qui ne vous nomme pas, "
                    "pour que le bot continue de vous laisser tranquille si vous revenez.",
                ),
            ),
        ),
    ),
}

TERMS: dict[str, Page] = {
    "en": (
        "Animateur — terms of use",
        (
            (
                "",
                (
                    "Animateur is open-source software under the Apache License 2.0, provided "
                    "as is, without warranty of any kind.",
                    "This bot is run by the organisation that installed it in your workspace: "
                    "its rules for the workspace apply, and it answers for how the bot is used "
                    "there.",
                    "Facilitators choose which rituals run in their community; every member "
                    "can stop them (optout), pause them (snooze) or change their language at "
                    "any time.",
                    "What the bot stores and how to have it erased: see the privacy page "
                    "(/privacy).",
                ),
            ),
        ),
    ),
    "fr": (
        "Animateur — conditions d'utilisation",
        (
            (
                "",
                (
                    "Animateur est un logiciel libre sous licence Apache 2.0, fourni tel quel, "
                    "sans garantie d'aucune sorte.",
                    "Ce bot est exploité par l'organisation qui l'a installé dans votre espace "
                    "de travail : ses règles pour l'espace de travail s'appliquent, et elle "
                    "répond de l'usage qui y est fait du bot.",
                    "Les animateurs choisissent les rituels de leur communauté ; chaque membre "
                    "peut les arrêter (optout), les mettre en pause (snooze) ou changer de "
                    "langue à tout moment.",
                    "Ce que le bot conserve et comment le faire effacer : voir la page de "
                    "confidentialité (/privacy).",
                ),
            ),
        ),
    ),
}


def language(request: web.Request) -> str:
    """``?lang=fr|en``, else the first of the browser's languages we have, else English."""
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "en"


def render(page: Page, lang: str, path: str) -> str:
    title, sections = page
    other = "fr" if lang == "en" else "en"
    body = [f"<h1>{escape(title)}</h1>"]
    for heading, paragraphs in sections:
        if heading:
            body.append(f"<h2>{escape(heading)}</h2>")
        body += [f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs]
    switch = {"en": "Version française", "fr": "English version"}[lang]
    body.append(f'<p><a href="{path}?lang={other}" hreflang="{other}">{switch}</a></p>')
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; '
        'padding: 0 1rem; line-height: 1.5">' + "\n".join(body) + "</body></html>\n"
    )


def legal_routes() -> list[web.RouteDef]:
    def serve(pages: dict[str, Page], path: str) -> web.RouteDef:
        async def handler(request: web.Request) -> web.Response:
            lang = language(request)
            return web.Response(
                text=render(pages[lang], lang, path),
                content_type="text/html",
                headers={"Content-Language": lang, "Vary": "Accept-Language"},
            )

        return web.get(path, handler)

    return [serve(PRIVACY, "/privacy"), serve(TERMS, "/terms")]
