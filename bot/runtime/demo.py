"""A demo workspace for the local playground: a few members and one community."""

from __future__ import annotations

from datetime import datetime

from bot.vocabulary.events import MemberProfile, WorkspaceRef
from storage.store import Store
from storage.tables import Community

DEMO_WORKSPACE = WorkspaceRef("local", "demo")
DEMO_CHANNEL = "C-data"

MEMBERS = (
    MemberProfile("U-alice", "Alice Martin", "fr-FR", "Europe/Paris"),
    MemberProfile("U-bob", "Bob Smith", "en-US", "America/New_York"),
    MemberProfile("U-chloe", "Chloé Dubois", "fr-FR", "Europe/Paris"),
    MemberProfile("U-dan", "Dan Okafor", "en-GB", "Europe/London"),
    MemberProfile("U-emma", "Emma Leroy", "fr-FR", "Europe/Paris"),
)

CHARTER_FR = (
    "1. On partage ce qu'on sait, même imparfait. 2. On répond aux questions en moins de 48 h. "
    "3. On remercie celles et ceux qui aident. 4. Bienveillance, pas de jugement."
)


async def seed_demo(store: Store, now: datetime, playbooks: list[str]) -> bool:
    """Create the demo workspace unless it exists; True when it was created."""
    async with store.transaction() as tx:
        if await tx.directory.workspace(DEMO_WORKSPACE) is not None:
            return False
        workspace = await tx.directory.ensure_workspace(DEMO_WORKSPACE, now, "Demo", "fr")
        assert workspace.id is not None
        for profile in MEMBERS:
            await tx.directory.upsert_member(workspace.id, profile, now)
        community = await tx.directory.add_community(
            Community(
                workspace_id=workspace.id,
                channel_id=DEMO_CHANNEL,
                name="Data & IA",
                objective=(
                    "partager nos cas d'usage data et IA pour ne plus réinventer la roue — "
                    "vous y trouvez de l'aide et des idées, l'entreprise y gagne des projets "
                    "qui aboutissent plus vite."
                ),
                charter=CHARTER_FR,
                sponsors=["U-emma"],
                facilitators=["U-dan"],
                target_engagement=60,
                timezone="Europe/Paris",
                locale="fr",
                created_at=now,
            )
        )
        assert community.id is not None
        for name in playbooks:
            await tx.directory.set_playbook(community.id, name, True, now)
    return True
