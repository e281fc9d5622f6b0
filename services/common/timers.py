"""A nameko timer whose interval is a setting: `@timer(interval=…)` is fixed
when the module is imported, before any setting is read (settings are read
when a service starts, never at import time)."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer

from services.common.settings import Settings


class SettingTimer(Timer):
    """Fires every `setting` seconds (a field of Settings), read at setup."""

    def __init__(self, setting: str, eager: bool = False, **kwargs: Any) -> None:
        if setting not in Settings.model_fields:
            raise ValueError(f"no such setting: {setting}")
        self.setting = setting
        super().__init__(interval=None, eager=eager, **kwargs)

    def setup(self) -> None:
        self.interval = float(getattr(Settings.from_env(), self.setting))
        super().setup()


setting_timer = SettingTimer.decorator
