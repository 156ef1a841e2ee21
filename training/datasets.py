"""Training samples built from preprocessed clips (numpy arrays kept in memory; they are small at 96x96)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.pairing import make_pairs
from w2le_live.audio.windows import mel_window_for_frame
from w2le_live.face.generator_input import build_generator_input, prior_mask


class ClipStore:
    """Loads frames.npy / masks.npy / mel.npy of a preprocessed clip once."""

    def __init__(self, data: str | Path):
        self.data = Path(data)
        self._cache: dict[str, dict] = {}

    def get(self, row: dict) -> dict:
        key = row["dir"]
        if key not in self._cache:
            d = self.data / key
            self._cache[key] = {
                "frames": np.load(d / "frames.npy"),
                "masks": np.load(d / "masks.npy"),
                "mel": np.load(d / "mel.npy"),
            }
        return self._cache[key]


class PairDataset:
    """Generator samples for one emotion pair.

    ``sample(rng)`` -> dict of float32 arrays: faces (6, T, 96, 96) in [0, 1] (masked prior, reference),
    mels (T, 1, 80, 16), target (3, T, 96, 96) in [0, 1], sync_mel (1, 80, 16), all BGR.
    Strategy ``emotion`` uses source frames as L1 targets (the paper's emotion-objective-only variant).
    """

    def __init__(self, data: str | Path, manifest: list[dict], source: str, target: str, mask: str = "half",
                 strategy: str = "l1+emotion", frames: int = 5, actors: set[str] | None = None,
                 alignment: str = "wav2lip"):  # fmt: skip
        from w2le_live.audio.windows import ALIGNMENTS

        if alignment not in ALIGNMENTS:
            from w2le_live.errors import UserError

            raise UserError(
                f"alignment={alignment} is not one of {', '.join(ALIGNMENTS)}; pick one of those."
            )
        self.store = ClipStore(data)
        self.mask, self.T, self.alignment = mask, frames, alignment
        dst = source if strategy == "emotion" else target
        self.pairs = make_pairs(manifest, source, dst, actors)
        self.pairs = [p for p in self.pairs if min(p[0]["frames"], p[1]["frames"]) >= 2 * frames]
        # Clips without audio (e.g. MEAD's cropped front clips) get real speech from another clip instead of
        # silence: a constant mel makes the audio encoder's BatchNorm variances collapse to ~0 in training, and the
        # generator then explodes in eval mode. Lip guidance from such a mel is meaningless, but the model stays sound.
        self.audio_rows = [r for r in manifest if r.get("has_audio") and r["frames"] >= frames]
        if not self.pairs:
            from w2le_live.errors import UserError

            raise UserError(
                f"no {source}->{target} clip pairs of the same actor with >= {2 * frames} frames; preprocess both emotions."
            )

    def __len__(self) -> int:
        return len(self.pairs)

    def sample(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        src_row, dst_row = self.pairs[int(rng.integers(len(self.pairs)))]
        src, dst = self.store.get(src_row), self.store.get(dst_row)
        n = min(len(src["frames"]), len(dst["frames"]))
        i = int(rng.integers(0, n - self.T + 1))
        j = int(
            rng.integers(0, len(src["frames"]) - self.T + 1)
        )  # identity reference from elsewhere in the source
        target = dst["frames"][i : i + self.T]
        prior_src = (
            dst if self.mask == "full" else src
        )  # full: destination pose prior; half: source (paper 3.3.6)
        if self.mask == "half":
            hidden = prior_mask("half")
        else:
            hidden = prior_src["masks"][i : i + self.T].astype(np.float32)
        # the runtime's generator-input contract: (T, 6, 96, 96) -> (6, T, 96, 96)
        faces = build_generator_input(
            prior_src["frames"][i : i + self.T], src["frames"][j : j + self.T], hidden
        ).transpose(1, 0, 2, 3)
        mel, mi = dst["mel"], i
        if not dst_row.get("has_audio", True) and self.audio_rows:
            other = self.audio_rows[int(rng.integers(len(self.audio_rows)))]
            mel = self.store.get(other)["mel"]
            mi = int(rng.integers(0, max(other["frames"] - self.T, 1)))
        mels = np.stack([self._mel(mel, mi + k) for k in range(self.T)])[:, None]
        return {
            "faces": faces.astype(np.float32),
            "mels": mels.astype(np.float32),
            "target": (target.transpose(3, 0, 1, 2) / 255.0).astype(np.float32),
            "sync_mel": self._mel(mel, mi)[None].astype(np.float32),
        }

    def _mel(self, mel: np.ndarray, frame: int) -> np.ndarray:
        """(80, 16) window of a clip mel (80, T) for a frame, under the model's alignment (runtime code)."""
        return mel_window_for_frame(mel, frame, alignment=self.alignment)

    def batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        items = [self.sample(rng) for _ in range(size)]
        return {k: np.stack([it[k] for it in items]) for k in items[0]}


class SyncDataset:
    """SyncNet samples: 5 lower-half frames with their own mel window (label 1) or one >= 5 frames away (label 0)."""

    def __init__(self, data: str | Path, manifest: list[dict], actors: set[str] | None = None):
        self.store = ClipStore(data)
        self.rows = [
            r
            for r in manifest
            if r.get("has_audio") and r["frames"] >= 15 and (actors is None or r["actor"] in actors)
        ]
        if not self.rows:
            from w2le_live.errors import UserError

            raise UserError(
                "SyncNet training needs preprocessed clips WITH audio and >= 15 frames; none were found."
            )

    def batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        faces, mels, labels = [], [], []
        for _ in range(size):
            c = self.store.get(self.rows[int(rng.integers(len(self.rows)))])
            n = len(c["frames"])
            i = int(rng.integers(0, n - 5 + 1))
            pos = bool(rng.integers(2))
            k = i
            while not pos and abs(k - i) < 5:
                k = int(rng.integers(0, n - 5 + 1))
            fr = c["frames"][i : i + 5, 48:].astype(np.float32) / 255.0  # (5, 48, 96, 3)
            faces.append(fr.transpose(0, 3, 1, 2).reshape(15, 48, 96))
            mels.append(mel_window_for_frame(c["mel"], k)[None])  # SyncNet judges wav2lip-aligned windows
            labels.append(1.0 if pos else 0.0)
        return {
            "faces": np.stack(faces).astype(np.float32),
            "mel": np.stack(mels).astype(np.float32),
            "label": np.array(labels, np.float32),
        }
