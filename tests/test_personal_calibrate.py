"""The tray's "Calibrate my neutral face" under the personal translator: the neutral target undoes the expression
the live face shows against the neutral face recorded at the stream's start, so a stream started mid-smile (or
mid-frown) needs a way to record it again. Before, ``PersonalTranslator`` had no ``calibrate`` (the base class's did
nothing): the tray's action left the first recording in place for the whole stream."""

from __future__ import annotations

import numpy as np
import pytest
from mead_clips import mead_clip, track_clip

from w2le_live.translators.base import Controls

CALIB = 5  # frames recorded (the live default is 25)


@pytest.fixture(scope="module")
def w009(shared_data):
    """W009: her happy bank (with her neutral clip as reference), a neutral bank, and 2 x CALIB tracked frames of
    her neutral and of her sad clip."""
    from w2le_live.personal.enroll import enroll_file

    if not mead_clip(shared_data, "W009", "sad").is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    neutral, sad = (str(mead_clip(shared_data, "W009", e)) for e in ("neutral", "sad"))
    banks = {
        "happy": enroll_file("happy", str(mead_clip(shared_data, "W009", "happy")), neutral, seconds=2.0),
        "neutral": enroll_file("neutral", neutral, seconds=2.0),
    }
    frames = {
        e: [x for x in track_clip(p)[: 2 * CALIB] if x[1] is not None]
        for e, p in (("neutral", neutral), ("sad", sad))
    }
    return banks, frames


def _show(tr, frames) -> None:
    for f, face in frames:
        tr.translate(f, face, None, Controls("neutral", 1.0))


def test_calibrate_records_the_neutral_face_again(w009):
    from w2le_live.translators.personal import PersonalTranslator

    banks, frames = w009
    tr = PersonalTranslator(banks, calib_frames=CALIB)
    assert tr.uses_calibration("neutral") and not tr.uses_calibration("happy")  # happy: its own neutral clip
    assert tr.calibrating("neutral") and not tr.calibrating("happy")
    _show(tr, frames["neutral"][:CALIB])
    assert not tr.calibrating("neutral")
    first, happy = tr.offset("neutral").copy(), tr.offset("happy")

    tr.calibrate()  # she frowns now and asks to be recorded again
    assert tr.calibrating("neutral")
    _show(tr, frames["sad"][:CALIB])
    again = tr.offset("neutral")
    fresh = PersonalTranslator(banks, calib_frames=CALIB)  # a stream that started on the sad frames
    _show(fresh, frames["sad"][:CALIB])
    np.testing.assert_array_equal(again, fresh.offset("neutral"))  # the old recording is forgotten
    assert np.abs(again - first).max() > 0.01  # and it mattered: the sad face's offset differs (face widths)
    assert tr.offset("happy") is happy  # the bank's own reference is kept

    kept = PersonalTranslator(banks, calib_frames=CALIB)  # without calibrate: the first recording stays
    _show(kept, frames["neutral"][:CALIB] + frames["sad"][:CALIB])
    np.testing.assert_array_equal(kept.offset("neutral"), first)
