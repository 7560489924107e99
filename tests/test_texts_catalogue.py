"""The runtime's texts are written one module per feature and read through one catalogue."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from bot.runtime import texts
from bot.runtime.texts import TEXTS, catalogue, text


def test_every_feature_module_reaches_the_catalogue() -> None:
    features = [
        importlib.import_module(f"{texts.__name__}.{found.name}")
        for found in pkgutil.iter_modules(texts.__path__)
    ]
    assert len(features) > 1
    for feature in features:
        missing = sorted(set(feature.TEXTS) - set(TEXTS))
        assert not missing, f"{feature.__name__}: {missing}"
    assert sum(len(feature.TEXTS) for feature in features) == len(TEXTS)


def test_a_text_written_in_two_features_is_refused() -> None:
    hello = {"hello": {"en": "Hello", "fr": "Bonjour"}}
    bye = {"bye": {"en": "Bye", "fr": "Au revoir"}}
    assert set(catalogue(hello, bye)) == {"hello", "bye"}
    with pytest.raises(ValueError, match="hello"):
        catalogue(hello, bye, {"hello": {"en": "Hi", "fr": "Salut"}})


def test_a_text_reads_in_the_locale_asked_and_falls_back_to_english() -> None:
    assert text("health_title", "fr", name="Data") == "Pouls de *Data* — 28 derniers jours"
    assert text("health_title", "de", name="Data") == "Pulse of *Data* — last 28 days"
