"""Static int8 quantisation of the generator for CPUs, calibrated on real face crops.

QDQ format with per-channel weights, so both ONNX Runtime and OpenVINO run it (DESIGN.md measured
OpenVINO on a QDQ int8 ONNX as the fastest CPU path).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np


def calibration_batches(video_paths: Iterable[str | Path], max_frames: int = 64, mask_mode: str = "half"):
    """Real generator inputs from videos: yields (faces (1, 6, 96, 96) float32 in [0, 1], mels (1, 1, 80, 16)).

    Frames go through the runtime's own frame step (tracking, the clip's audio window — silence if it has none)
    and generator-input contract, so calibration sees exactly what inference sees.
    """
    from w2le_live.face.generator_input import face_generator_input
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep, SilentMel, clip_mel_feed, iter_clip

    count = 0
    for p in video_paths:
        feed = clip_mel_feed(p) or SilentMel()
        with FaceTracker() as tr:
            for _i, _t, frame, res in iter_clip(p, FrameStep(tr, mel_feed=feed, need_audio=True)):
                if res.face is None:
                    continue
                faces = face_generator_input(frame, res.face, mask_mode)[0]
                yield faces[None], res.mel[None, None]
                count += 1
                if count >= max_frames:
                    return


def quantize_int8(
    fp32_onnx: str | Path, out_path: str | Path, batches: list[tuple[np.ndarray, np.ndarray]]
) -> Path:
    """Write a QDQ int8 copy of ``fp32_onnx`` calibrated on ``batches`` of (faces, mels)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(batches)

        def get_next(self):
            b = next(self._it, None)
            return None if b is None else {"faces": b[0], "mel": b[1]}

    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as td:
        pre = os.path.join(td, "pre.onnx")
        quant_pre_process(str(fp32_onnx), pre, skip_symbolic_shape=True)
        tmp = os.path.join(td, "q.onnx")
        quantize_static(
            pre,
            tmp,
            _Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        shutil.move(tmp, out_path)
    return out_path
