"""A local SMTP server for development: keeps every e-mail as a .eml file."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FolderHandler:
    """aiosmtpd handler writing each message to `<folder>/<n>.eml`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{time.monotonic_ns()}.eml"
        path.write_bytes(content)
        parsed = message_from_bytes(content, policy=policy.default)
        print(f"mail to {parsed['To']}: {parsed['Subject']} → {path}", flush=True)
        return "250 Message accepted for delivery"


def serve_forever(host: str, port: int, folder: str) -> None:
    controller = Controller(FolderHandler(Path(folder)), hostname=host, port=port)
    controller.start()
    print(f"mailcatcher on {host}:{port}, e-mails in {folder}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
