"""The retriever prefers sharp bank mouths (docs/personal/stranger.md, defect 2): a bank whose mouth frame is
motion-blurred by speech must lose a near-tie to a sharp frame of the same shape, and still be chosen when it alone
has the shape asked for. Real crops: W009's happy clip, some of them blurred vertically (a speaking mouth's blur)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from mead_clips import mead_clip


def _blurred(crop: np.ndarray) -> np.ndarray:
    """A vertical motion blur of a (S, S, 3) uint8 BGR crop over 9 px (a mouth opening fast at 25 fps)."""
    import cv2

    return cv2.blur(crop, (1, 9))


@pytest.fixture(scope="module")
def bank(shared_data):
    from w2le_live.personal.enroll import enroll_file

    path = mead_clip(shared_data, "W009", "happy")
    if not path.is_file():
        pytest.skip(f"the W009 happy clip is not in {path.parent}")
    return enroll_file("happy", str(path), seconds=3.0)


def _with_twins(bank, idx: list[int]):
    """The bank with a blurred copy of each frame i in idx inserted just before it. The copy keeps frame i's exact
    shape, while the sharp frame's shape is moved a quarter of the way to frame i + 1's: asked for frame i's shape, the blurred
    copy fits exactly and the sharp frame nearly (a near-tie). Returns (bank, {sharp index: blurred index})."""
    order, blur, twins = [], [], {}
    norm = []
    for i in range(len(bank)):
        if i in idx:
            twins[len(order) + 1] = len(order)
            order.append(i)
            blur.append(True)
            norm.append(bank.norm[i])
            norm.append(0.75 * bank.norm[i] + 0.25 * bank.norm[min(i + 1, len(bank) - 1)])
        else:
            norm.append(bank.norm[i])
        order.append(i)
        blur.append(False)
    crops = np.stack([_blurred(bank.crops[i]) if b else bank.crops[i] for i, b in zip(order, blur)])
    angles = None if bank.angles is None else bank.angles[order]
    new = dataclasses.replace(bank, crops=crops, crop_landmarks=bank.crop_landmarks[order],
                              norm=np.stack(norm).astype(np.float32), angles=angles)  # fmt: skip
    return new, twins


def test_a_near_tie_goes_to_the_sharp_mouth(bank):
    from w2le_live.personal.bank import Retriever

    twins_of = list(range(3, len(bank), 8))  # a few speech-blurred frames, as in a real take
    twin_bank, twins = _with_twins(bank, twins_of)
    r = Retriever(twin_bank)
    blurred = set(twins.values())
    assert r.texture is not None
    for sharp, soft in twins.items():
        assert r.texture[soft] < 0.6 * r.texture[sharp]  # the blur is real on the mouth box
        asked = twin_bank.norm[soft]
        c = r.cost(asked)
        misfit = float((c[sharp] - r._blur_c[sharp]) - (c[soft] - r._blur_c[soft]))
        assert 0.0 < misfit < 0.015  # the sharp frame fits a little worse: a near-tie
        best = int(np.argmin(c))  # the sharp twin, or a sharp frame that fits better still
        assert best not in blurred, (
            f"asked for {soft}'s shape: chose the blurred copy {best}, not sharp {sharp}"
        )
        r.reset()  # and through the per-frame choice, starting fresh on each shape
        assert r.choose(asked)[0] == best


def test_a_blurred_mouth_with_a_shape_of_its_own_is_still_chosen(bank):
    from w2le_live.personal.bank import Retriever

    r0 = Retriever(bank)
    # the frame whose mouth is farthest from every other frame's (the shape only it has)
    dist = np.array([np.sort(r0.cost(bank.norm[i]) - r0.cost(bank.norm[i])[i])[1] for i in range(len(bank))])
    lone = int(np.argmax(dist))
    crops = bank.crops.copy()
    crops[lone] = _blurred(crops[lone])
    r = Retriever(dataclasses.replace(bank, crops=crops))
    assert r.texture[lone] < 0.6 * r0.texture[lone]
    paid = float(r.cost(bank.norm[lone])[lone] - r0.cost(bank.norm[lone])[lone])
    assert paid > 0.5 * r.cfg.blur_weight * (r.cfg.blur_knee - r.cfg.blur_floor)  # it is penalised, ...
    assert int(np.argmin(r.cost(bank.norm[lone]))) == lone  # ... yet no other frame has its mouth
