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

    Faces are tracked and cropped like the runtime does; mels come from the clip's audio (silence if none).
    """
    from w2le_live.audio.mel import melspectrogram
    from w2le_live.audio.windows import frame_mel_windows
    from w2le_live.face import masks
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io import video
    from w2le_live.translators.neural import build_generator_input

    count = 0
    for p in video_paths:
        info = video.probe(p)
        wav = (
            video.read_audio(p) if info.has_audio else np.zeros(int(info.duration * 16000) + 3200, np.float32)
        )
        mels = frame_mel_windows(melspectrogram(wav), int(info.duration * 25) + 1)
        with FaceTracker() as tr:
            for i, t, frame in video.iter_frames(p):
                face = tr.process(frame, t)
                if face is None:
                    continue
                crop, aff = masks.crop_face(frame, face.box)
                pm = (
                    masks.half_mask()
                    if mask_mode == "half"
                    else masks.full_mask(masks.landmarks_to_crop(face.landmarks, aff))
                )
                yield build_generator_input(crop, pm)[None], mels[min(i, len(mels) - 1)][None, None]
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
