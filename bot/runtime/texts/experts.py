"""The texts of experts' topics: declaring the topics you know, and a community's experts."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
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
}
