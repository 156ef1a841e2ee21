"""Our live path vs the original Wav2Lip inference recipe, on the same clip and machine, in one run.

Original recipe (Rudrabha/Wav2Lip inference.py, re-implemented with our parts): a face DETECTION on every frame
(MediaPipe in static-image mode, standing in for s3fd), the width-1.0 generator in torch eager fp32, and a hard
rectangular paste of the 96x96 output into the box. Ours: tracking mode with causal smoothing, the chosen backend,
and the feathered, colour-matched paste-back.

    python benchmarks/bench_vs_original.py [CLIP] [--frames 150] [--ours-width 0.5] [--ours-backend openvino]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "talking" / "web" / "retalking_1.mp4"


def _frames(clip: str, n: int):
    import cv2

    from w2le_live.io.video import iter_frames

    out = []
    for i, _, f in iter_frames(clip):
        out.append(cv2.resize(f, (640, 480)))
        if i + 1 >= n:
            break
    return out


def run_original(frames, ckpt: str) -> float:
    import cv2

    from w2le_live.backends.torch_backend import TorchBackend
    from w2le_live.face.generator_input import face_generator_input
    from w2le_live.face.tracker import FaceTracker

    be = TorchBackend(ckpt, fuse=False).load()
    mel = np.zeros((1, 1, 80, 16), np.float32)
    t0 = time.perf_counter()
    with FaceTracker(static_image_mode=True) as det:
        for f in frames:
            face = det.process_image(f)  # detection on every frame, no tracking
            if face is None:
                continue
            out = be.run(face_generator_input(f, face, "half")[0][None], mel)[0]
            x0, y0, x1, y1 = face.box
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, f.shape[1]), min(y1, f.shape[0])
            g = (out.transpose(1, 2, 0) * 255).astype(np.uint8)
            f = f.copy()
            f[y0:y1, x0:x1] = cv2.resize(g, (x1 - x0, y1 - y0))  # hard rectangular paste
    return len(frames) / (time.perf_counter() - t0)


def run_ours(frames, ckpt: str, backend: str) -> float:
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep, SilentMel
    from w2le_live.translators.base import Controls
    from w2le_live.translators.neural import NeuralTranslator

    tr = NeuralTranslator(ckpt, backend=backend)
    controls = Controls("happy", 1.0)
    t0 = time.perf_counter()
    with FaceTracker() as tk:
        step = FrameStep(tk, tr, SilentMel())  # the runtime's own per-frame step
        for i, f in enumerate(frames):
            step(f, i / 25, controls, i)
    return len(frames) / (time.perf_counter() - t0)


def main() -> None:
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", nargs="?", default=str(DEFAULT_CLIP))
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--ours-width", type=float, default=0.5)
    ap.add_argument("--ours-backend", default="openvino")
    ap.add_argument("--out", default="out/bench_vs_original")
    args = ap.parse_args()
    frames = _frames(args.clip, args.frames)
    with tempfile.TemporaryDirectory() as td:
        cks = {}
        for w in (1.0, args.ours_width):
            m = Wav2LipGenerator(GeneratorDims(width=w))
            cks[w] = str(
                save_generator(
                    Path(td) / f"w{w}.safetensors", m, ModelMeta(dims=m.dims, target_emotion="happy")
                )
            )
        res = {
            "original recipe (detect every frame, torch eager w1.0, hard paste)": run_original(
                frames, cks[1.0]
            ),
            f"ours: tracking + {args.ours_backend} w1.0 + feathered paste": run_ours(
                frames, cks[1.0], args.ours_backend
            ),
            f"ours: tracking + {args.ours_backend} w{args.ours_width} + feathered paste": run_ours(
                frames, cks[args.ours_width], args.ours_backend
            ),
        }
    base = next(iter(res.values()))
    for k, v in res.items():
        print(f"{k:70s} {v:6.1f} fps  (x{v / base:.2f})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vs_original.json").write_text(
        json.dumps({"fps": res, "frames": len(frames), "clip": args.clip}, indent=2)
    )


if __name__ == "__main__":
    main()
