"""Evaluation's FER judge scores a face exactly as the training loss sees it (same grey, same resampling)."""

from __future__ import annotations

import numpy as np
import torch


def test_judge_probabilities_equal_the_loss_path(shared_data):
    from w2le_live.io.video import iter_frames
    from w2le_live.models.emotion import fer_probs, load_fer_classifier, preprocess_faces

    frame = next(f for _, _, f in iter_frames(shared_data / "mead" / "M030_front_happy_level3_001.mp4"))
    crop = np.ascontiguousarray(frame[40:136, 100:196])  # (96, 96, 3) uint8 BGR, a generator-sized face
    fer = load_fer_classifier()
    as_loss = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255.0  # what the generator emits
    with torch.no_grad():
        want = torch.softmax(fer(preprocess_faces(as_loss)), dim=1)[0].numpy()
    got = fer_probs(fer, [crop, crop])
    assert got.shape == (2, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got[0], want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got[1], got[0])
