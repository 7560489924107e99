"""The texts of the community pulse: ``/animateur health``, its early warnings and what to do
about them, the alerts, and the weekly health digest."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
    # -- early warnings and the weekly digest --
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
    "health_solved": {
        "en": " · {solved} solved, as their askers said ({pct} % of the answered)",
        "fr": " · {solved} résolues selon leurs auteurs ({pct} % de celles avec réponse)",
    },
    # -- links to messages, for facilitators --
    "question_link": {"en": "question of {day}", "fr": "question du {day}"},
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
