"""Export a generator to ONNX: inputs ``mel`` (B,1,80,16) and ``faces`` (B,6,96,96), output ``out`` (B,3,96,96)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional


def export_onnx(
    model,
    path: str | Path,
    batch: int = 1,
    dynamic_batch: bool = False,
    opset: int = 17,
    meta_json: Optional[str] = None,
) -> Path:
    """Trace ``model`` (a Wav2LipGenerator in eval mode) to ``path`` atomically and check the graph.

    Static shapes by default (what TensorRT and OpenVINO optimise best); ``dynamic_batch`` names axis 0 ``B``.
    ``meta_json`` (ModelMeta JSON) is stored in the model's metadata_props under ``w2le_meta``.
    """
    import onnx
    import torch

    from w2le_live.files import atomic_path

    path = Path(path)
    model = model.eval().cpu()
    mel = torch.zeros(batch, 1, 80, 16)
    faces = torch.zeros(batch, 6, 96, 96)
    with atomic_path(path, ".onnx") as tmp_path:
        tmp = str(tmp_path)
        axes = {"mel": {0: "B"}, "faces": {0: "B"}, "out": {0: "B"}} if dynamic_batch else None
        with torch.no_grad():
            torch.onnx.export(
                model,
                (mel, faces),
                tmp,
                input_names=["mel", "faces"],
                output_names=["out"],
                dynamic_axes=axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
        m = onnx.load(tmp)
        if meta_json:
            entry = m.metadata_props.add()
            entry.key, entry.value = "w2le_meta", meta_json
        onnx.checker.check_model(m)
        onnx.save(m, tmp)
    return path
