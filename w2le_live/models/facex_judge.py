"""An independent emotion judge: the ``facex`` TFLite classifier (MIT), run with ai-edge-litert.

Used by tests and evaluation only; the model file is not shipped. Input 200x200x3 RGB in [0, 1]; labels in
alphabetical order. Path: argument, else ``$W2LE_FACEX_MODEL``, else the file inside an installed ``facex``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from w2le_live.errors import UserError

FACEX_LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
# our target names -> facex label
TARGET_TO_FACEX = {"surprised": "surprise", "disgusted": "disgust", "angry": "angry", "happy": "happy",
                   "sad": "sad", "neutral": "neutral", "fear": "fear"}  # fmt: skip


def default_model_path() -> Optional[Path]:
    """``$W2LE_FACEX_MODEL``, else the model inside an installed ``facex`` package (found, never imported)."""
    env = os.environ.get("W2LE_FACEX_MODEL")
    if env:
        return Path(env)
    import importlib.util

    spec = importlib.util.find_spec("facex")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        hits = sorted(Path(folder).rglob("model_optimized.tflite"))
        if hits:
            return hits[0]
    return None


class FacexJudge:
    """Class probabilities of face crops."""

    def __init__(self, model_path: Optional[str | Path] = None):
        path = Path(model_path) if model_path else default_model_path()
        if path is None or not path.is_file():
            raise UserError(
                f"the facex judge model {path or 'model_optimized.tflite'} is missing; pip install facex "
                "(or set W2LE_FACEX_MODEL to its model_optimized.tflite)."
            )
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise UserError("the facex judge needs ai-edge-litert; run: pip install ai-edge-litert") from None
        self._it = Interpreter(model_path=str(path), num_threads=1)
        self._it.allocate_tensors()
        self._in = self._it.get_input_details()[0]
        self._out = self._it.get_output_details()[0]

    def probs(self, crop_bgr: np.ndarray) -> np.ndarray:
        """crop_bgr: (h, w, 3) uint8 BGR face crop -> (7,) float32 probabilities in FACEX_LABELS order."""
        import cv2

        rgb = cv2.cvtColor(cv2.resize(crop_bgr, (200, 200), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        x = (rgb.astype(np.float32) / 255.0)[None]
        self._it.set_tensor(self._in["index"], x)
        self._it.invoke()
        p = self._it.get_tensor(self._out["index"])[0].astype(np.float32)
        if p.min() < 0 or abs(p.sum() - 1) > 1e-3:  # logits -> softmax
            e = np.exp(p - p.max())
            p = e / e.sum()
        return p

    def prob(self, crop_bgr: np.ndarray, target: str) -> float:
        """Probability of one target emotion (our naming, e.g. 'surprised'). crop_bgr: (h, w, 3) uint8 BGR."""
        return float(self.probs(crop_bgr)[FACEX_LABELS.index(TARGET_TO_FACEX[target])])
