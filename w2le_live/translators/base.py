"""The interface every emotion translator implements (neural generator, landmark warp, ...)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.face.types import FaceObservation


@dataclass(frozen=True)
class Controls:
    """What the user asked for on this frame (from the CLI, the tray or the control API)."""

    target: str = "happy"  # one of Translator.emotions, or "neutral"
    intensity: float = 1.0  # 0 = untouched, 1 = full effect, up to 1.5 to exaggerate
    bypass: bool = False  # pass frames through untouched

    @property
    def untouched(self) -> bool:
        """True when these controls leave the frame as it is (bypass, or no effect: intensity 0)."""
        return self.bypass or self.intensity <= 0


class Translator(abc.ABC):
    """Turns one camera frame into the same frame with the face's emotion changed.

    Implementations must be cheap to call per frame, keep per-stream state only in ``reset``-able
    attributes, and return the input frame object unchanged when there is no face or bypass is on.

    :meth:`translate` is a template: no face -> the frame; every face is shown to :meth:`_observe` (calibration,
    even in bypass); bypass, zero intensity or an emotion this translator does not make -> the frame; else
    :meth:`_render`. A translator that routes to others (``select.RoutingTranslator``) overrides ``translate``.
    """

    #: short name shown in the CLI/tray ("landmark", "neural")
    name: str = "translator"
    #: target emotions this translator can produce
    emotions: tuple[str, ...] = ()
    #: whether ``translate`` needs the mel window (neural generators do; the landmark warp does not)
    needs_audio: bool = False
    #: the audio window alignment the model was trained with (a neural checkpoint's own; others never read audio)
    alignment: str = "wav2lip"
    #: why the last face was passed through untouched by choice ("head turned away", "mouth covered"), or ""; the
    #: live loop then counts no untranslated frame and the status line says the effect is paused
    left_alone: str = ""

    def translate(
        self,
        frame: np.ndarray,
        face: Optional[FaceObservation],
        mel: Optional[np.ndarray],
        controls: Controls,
    ) -> np.ndarray:
        """Return the translated frame.

        frame: (H, W, 3) uint8 BGR, the full camera frame (not modified in place).
        face: the tracked face in ``frame``, or None (then ``frame`` is returned as is).
        mel: (80, 16) float32 in [-4, 4], the audio window for this frame, or None when there is no audio.
        """
        self.left_alone = ""  # set again by a _render that passes this face through by choice
        if face is None:
            return frame
        self._observe(face.landmarks)
        if controls.untouched or controls.target not in self.emotions:
            return frame
        return self._render(frame, face, mel, controls)

    def _observe(self, landmarks: np.ndarray) -> None:
        """See every tracked face, also in bypass. landmarks: (478, 3) float32 pixels. Default: nothing."""
        return None

    @abc.abstractmethod
    def _render(
        self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray], controls: Controls
    ) -> np.ndarray:
        """The frame with ``controls.target`` applied (face present, effect on). Arguments as :meth:`translate`."""

    def reset(self) -> None:
        """Forget per-stream state (new clip or camera); default: nothing to forget."""
        return None

    def calibrate(self) -> None:
        """Record the user's neutral face again (the tray's "Calibrate"); default: nothing to calibrate."""
        return None

    def uses_calibration(self, target: str) -> bool:
        """Whether ``target``'s look depends on the recorded neutral face (the live loop then fades it out before
        a new recording starts, and holds it back until that is done). Default: no."""
        return False

    def calibrating(self, target: str) -> bool:
        """True while ``target``'s look waits for a neutral face still being recorded. Default: never."""
        return False

    def recording_neutral(self) -> Optional[bool]:
        """Whether the neutral face is being recorded now (any target's); None: this translator records none."""
        return None

    def describe(self) -> str:
        """One line for logs and the status bar."""
        return f"{self.name} ({', '.join(self.emotions)})"

    def serving_label(self, target: str) -> str:
        """A short label of what makes ``target`` now, for the status line and tray tooltip."""
        return f"{self.name} {target}"
