"""Face tracking with MediaPipe FaceMesh (478 landmarks) in video mode, locked onto one face."""

from __future__ import annotations

from typing import Optional

import numpy as np

from w2le_live.config import TrackerConfig
from w2le_live.face.landmarks import CHIN, FACE_OVAL
from w2le_live.face.smoothing import OneEuroFilter
from w2le_live.face.types import FaceObservation


def crop_box_from_landmarks(lm: np.ndarray, cfg: TrackerConfig = TrackerConfig()) -> np.ndarray:
    """Square crop box (x0, y0, x1, y1) float covering the face oval, chin to brows plus padding.

    lm: (478, 2+) float32 landmarks in frame pixels. Wav2Lip crops a detector box (brows to chin, padded 10 px
    below the chin); the face oval spans forehead to chin, so the box is centred on it, padded by ``pad_*``.
    """
    oval = lm[list(FACE_OVAL), :2]
    x0, y0 = oval.min(axis=0)
    x1, y1 = oval.max(axis=0)
    y1 = max(y1, lm[CHIN, 1])
    w, h = x1 - x0, y1 - y0
    x0, x1 = x0 - cfg.pad_side * w, x1 + cfg.pad_side * w
    y0, y1 = y0 - cfg.pad_top * h, y1 + cfg.pad_bottom * h
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return np.array([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])


def outside_fraction(box: tuple[int, int, int, int], width: int, height: int) -> float:
    """Fraction of the box area that lies outside a width x height frame."""
    x0, y0, x1, y1 = box
    area = max(1, (x1 - x0) * (y1 - y0))
    ix = max(0, min(x1, width) - max(x0, 0))
    iy = max(0, min(y1, height) - max(y0, 0))
    return 1.0 - (ix * iy) / area


class FaceTracker:
    """Per-frame landmarks and a smoothed crop box of ONE face (largest on entry, then the same one).

    Counters: ``frames``, ``frames_with_face``, ``frames_no_face``, ``frames_edge_cut``, ``frames_multi_face``.
    """

    def __init__(self, cfg: TrackerConfig = TrackerConfig(), static_image_mode: bool = False):
        import mediapipe as mp

        self.cfg = cfg
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static_image_mode,
            max_num_faces=cfg.max_faces,
            refine_landmarks=True,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )
        self._box_filter = OneEuroFilter(cfg.box_min_cutoff, cfg.box_beta)
        self._lm_filter = OneEuroFilter(cfg.landmark_min_cutoff, cfg.landmark_beta)
        self.frames = self.frames_with_face = self.frames_no_face = 0
        self.frames_edge_cut = self.frames_multi_face = 0
        self._locked_center: Optional[np.ndarray] = None
        self._locked_size = 0.0
        self._lost = 0
        self._face_id = 0
        self._last_t: Optional[float] = None

    # -- lifecycle -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the locked face and the filters (new clip or camera)."""
        self._box_filter.reset()
        self._lm_filter.reset()
        self._locked_center = None
        self._lost = 0
        self._last_t = None

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- tracking ------------------------------------------------------------------------------------
    def _detect(self, frame: np.ndarray) -> list[np.ndarray]:
        import cv2

        h, w = frame.shape[:2]
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        res = self._mesh.process(rgb)
        faces = []
        for f in res.multi_face_landmarks or []:
            a = np.array([(p.x * w, p.y * h, p.z * w) for p in f.landmark], dtype=np.float32)
            faces.append(a)
        return faces

    def _choose(self, faces: list[np.ndarray]) -> Optional[np.ndarray]:
        boxes = [crop_box_from_landmarks(f, self.cfg) for f in faces]
        centers = [np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]) for b in boxes]
        sizes = [b[2] - b[0] for b in boxes]
        if self._locked_center is not None:
            d = [np.linalg.norm(c - self._locked_center) for c in centers]
            i = int(np.argmin(d))
            if d[i] < 0.6 * max(self._locked_size, 1.0):
                self._locked_center, self._locked_size = centers[i], sizes[i]
                self._lost = 0
                return faces[i]
            self._lost += 1
            if self._lost <= self.cfg.lost_frames_before_reacquire:
                return None  # our person stepped away: do not jump to someone else yet
        i = int(np.argmax(sizes))
        self._locked_center, self._locked_size = centers[i], sizes[i]
        self._lost = 0
        self._face_id += 1
        self._box_filter.reset()
        self._lm_filter.reset()
        return faces[i]

    def process(self, frame: np.ndarray, t: float) -> Optional[FaceObservation]:
        """Track the locked face in one frame.

        frame: (H, W, 3) uint8 BGR. t: capture time in seconds (monotonic or stream time, increasing).
        Returns None (and counts it) when there is no face, the locked face is gone, or it is cut by the frame
        edge beyond what the crop can hold; the caller then passes the frame through unchanged.
        """
        self.frames += 1
        if self._last_t is not None and t <= self._last_t:
            t = self._last_t + 1e-3
        self._last_t = t
        faces = self._detect(frame)
        if len(faces) > 1:
            self.frames_multi_face += 1
        chosen = self._choose(faces) if faces else None
        if chosen is None:
            if not faces and self._locked_center is not None:
                self._lost += 1
                if self._lost > self.cfg.lost_frames_before_reacquire:
                    self._locked_center = None
            self.frames_no_face += 1
            return None
        raw_box = crop_box_from_landmarks(chosen, self.cfg)
        size = float(raw_box[2] - raw_box[0])
        c = np.array([(raw_box[0] + raw_box[2]) / 2, (raw_box[1] + raw_box[3]) / 2, size])
        cx, cy, s = self._box_filter(c, t, scale=size)
        box = (
            int(round(cx - s / 2)),
            int(round(cy - s / 2)),
            int(round(cx - s / 2)) + int(round(s)),
            int(round(cy - s / 2)) + int(round(s)),
        )
        h, w = frame.shape[:2]
        if outside_fraction(box, w, h) > self.cfg.edge_cut_limit:
            self.frames_edge_cut += 1
            self.frames_no_face += 1
            return None
        lm = self._lm_filter(chosen, t, scale=size).astype(np.float32)
        self.frames_with_face += 1
        return FaceObservation(landmarks=lm, box=box, face_id=self._face_id, n_faces=len(faces))

    def process_image(self, frame: np.ndarray) -> Optional[FaceObservation]:
        """A still image: no smoothing, largest face. frame: (H, W, 3) uint8 BGR."""
        self.reset()
        return self.process(frame, 0.0)
