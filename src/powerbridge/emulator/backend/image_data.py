"""Image bytes: a file per image under the data directory, or a dict in memory."""

from __future__ import annotations

import os
from pathlib import Path


class ImageData:
    def __init__(self, store_path: str) -> None:
        self.root: Path | None = None
        if store_path != ":memory:":
            self.root = Path(store_path).parent / "images"
        self._memory: dict[str, bytes] = {}

    def write(self, image_id: str, data: bytes) -> None:
        if self.root is None:
            self._memory[image_id] = data
            return
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{image_id}.part"
        partial.write_bytes(data)
        os.replace(partial, self.root / image_id)  # a crash never leaves half an image

    def read(self, image_id: str) -> bytes | None:
        if self.root is None:
            return self._memory.get(image_id)
        try:
            return (self.root / image_id).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, image_id: str) -> None:
        if self.root is None:
            self._memory.pop(image_id, None)
            return
        (self.root / image_id).unlink(missing_ok=True)
