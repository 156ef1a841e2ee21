"""Checks that an exported ONNX graph will build in TensorRT 10: opset, static shapes, supported operators."""

from __future__ import annotations

from pathlib import Path

from w2le_live.errors import UserError

# ONNX operators the generator may legitimately produce that TensorRT 10's ONNX parser supports
# (a subset of onnx-tensorrt's operators.md, enough for conv nets; anything else is refused early).
TRT10_SUPPORTED_OPS = frozenset({
    "Add", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "ConvTranspose", "Div",
    "Flatten", "Gather", "Gemm", "Identity", "LeakyRelu", "MatMul", "Mul", "Pad", "Relu", "Reshape", "Shape",
    "Sigmoid", "Slice", "Softmax", "Split", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
    "QuantizeLinear", "DequantizeLinear", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize",
})  # fmt: skip
MIN_OPSET, MAX_OPSET = 13, 20


def graph_report(path: str | Path) -> dict:
    """Opset, op types and IO shapes of an ONNX file."""
    import onnx

    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    opset = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0)

    def dims(v):
        return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]

    return {
        "opset": opset,
        "ops": sorted({n.op_type for n in m.graph.node}),
        "inputs": {i.name: dims(i) for i in m.graph.input},
        "outputs": {o.name: dims(o) for o in m.graph.output},
    }


def check_for_tensorrt(path: str | Path) -> dict:
    """Raise UserError (one sentence) when the graph would not build in TensorRT 10; returns the report."""
    rep = graph_report(path)
    if not MIN_OPSET <= rep["opset"] <= MAX_OPSET:
        raise UserError(
            f"{path} uses ONNX opset {rep['opset']}; TensorRT 10 wants {MIN_OPSET}-{MAX_OPSET}: re-export with --opset 17."
        )
    bad = [op for op in rep["ops"] if op not in TRT10_SUPPORTED_OPS]
    if bad:
        raise UserError(
            f"{path} contains operators TensorRT 10 does not support here ({', '.join(bad)}); re-export the model."
        )
    if set(rep["inputs"]) != {"mel", "faces"} or set(rep["outputs"]) != {"out"}:
        raise UserError(
            f"{path} does not have the generator's inputs mel/faces and output out; export it with w2le-live export."
        )
    return rep
