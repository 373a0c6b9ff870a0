"""Which share targets a force may use, and the named recipients they offer."""

from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.forces.transaction import force_info
from exhibit.platform import Platform
from exhibit.plugins.context import ForceInfo, ProviderContext
from exhibit.sharing.service import ShareRefused
from exhibit.sharing.target import RecipientDirectory, ShareTarget


@dataclass(frozen=True)
class ForceTargets:
    """The share targets of a force's enabled plugins, ready to build."""

    platform: Platform
    force: ForceInfo
    enabled: dict[str, msgspec.Struct | None]

    @property
    def offered(self) -> dict[str, str]:
        """Target keys mapped to the plugin that offers each."""
        return {
            key: provided.plugin_id
            for key, provided in self.platform.plugins.share_targets.items()
            if provided.plugin_id in self.enabled
        }

    def build(self, key: str) -> ShareTarget:
        """An instance of the target ``key`` for this force; ``ShareRefused`` if not offered."""
        provided = self.platform.plugins.share_targets.get(key)
        if provided is None or provided.plugin_id not in self.enabled:
            raise ShareRefused(f"unknown share target {key!r}")
        context = ProviderContext(
            settings=self.platform.settings,
            force=self.force,
            plugin_id=provided.plugin_id,
            config=self.enabled[provided.plugin_id],
        )
        target: ShareTarget = provided.provider(context)
        return target

    def unit_address(self, key: str, unit: str) -> str:
        """The address of the named recipient ``unit`` of target ``key``."""
        target = self.build(key)
        units = target.named_recipients() if isinstance(target, RecipientDirectory) else {}
        if unit not in units:
            known = ", ".join(sorted(units)) or "none configured"
            raise ShareRefused(f"unknown recipient unit {unit!r} (known: {known})")
        return units[unit]


async def force_targets(session: AsyncSession, platform: Platform, force_id: int) -> ForceTargets:
    """The share targets of the force's enabled plugins, read in ``session``."""
    enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
    return ForceTargets(platform, await force_info(session, force_id), enabled)


async def force_can_share(session: AsyncSession, platform: Platform, force_id: int) -> bool:
    """True if one of the force's enabled plugins offers a share target, so that sharing
    actions are worth showing."""
    if not platform.plugins.share_targets:
        return False  # nothing installed offers one: no need to read the force's plugins
    return bool((await force_targets(session, platform, force_id)).offered)
