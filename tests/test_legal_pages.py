"""The bot serves the /privacy and /terms pages the Teams package points at, in en and fr."""

from __future__ import annotations

from tests.conftest import LiveServer


async def page(server: LiveServer, path: str, **headers: str) -> tuple[int, str, str]:
    async with server.http.get(server.url + path, headers=headers) as response:
        return response.status, response.headers.get("Content-Language", ""), await response.text()


async def test_privacy_and_terms_are_served_in_the_browser_s_language(
    live_server: LiveServer,
) -> None:
    status, lang, html = await page(live_server, "/privacy", **{"Accept-Language": "fr-FR,fr"})
    assert (status, lang) == (200, "fr")
    assert '<html lang="fr">' in html and "Ce qui est conservé" in html
    assert "jamais le texte des messages" in html
    status, lang, html = await page(live_server, "/privacy")
    assert (status, lang) == (200, "en")
    assert "What is stored" in html and "never the text of messages" in html
    assert "7 days" in html and "ask the operator of this bot" in html
    assert "erased (article 17)" in html and "30 days after they were sent" in html
    status, lang, html = await page(live_server, "/terms?lang=fr", **{"Accept-Language": "en"})
    assert (status, lang) == (200, "fr") and "Apache 2.0" in html
    status, lang, html = await page(live_server, "/terms", **{"Accept-Language": "de, en;q=0.5"})
    assert (status, lang) == (200, "en") and "Apache License 2.0" in html
