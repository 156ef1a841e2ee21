"""One interface for every inference runtime that runs the generator."""

from __future__ import annotations

import abc

import numpy as np


class Backend(abc.ABC):
    """Runs the generator on batches of faces and mels.

    Implementations import their runtime inside ``load`` and keep buffers between calls.
    """

    name = "backend"

    def __init__(self, model_path: str, *, batch: int = 1, device: str = "cpu", precision: str = "fp32"):
        self.model_path = str(model_path)
        self.batch = batch
        self.device = device
        self.precision = precision

    @abc.abstractmethod
    def load(self) -> Backend:
        """Load the model into the runtime; returns self."""

    @abc.abstractmethod
    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """Generate faces.

        faces: (B, 6, 96, 96) float32 in [0, 1] BGR (masked prior, then reference).
        mels: (B, 1, 80, 16) float32 in [-4, 4].
        Returns (B, 3, 96, 96) float32 in [0, 1] BGR.
        """

    def warmup(self, n: int = 2) -> None:
        """Run ``n`` dummy batches so the first real frame is not slow."""
        faces = np.zeros((self.batch, 6, 96, 96), np.float32)
        mels = np.zeros((self.batch, 1, 80, 16), np.float32)
        for _ in range(n):
            self.run(faces, mels)

    def describe(self) -> str:
        return f"{self.name} {self.device} {self.precision}"
