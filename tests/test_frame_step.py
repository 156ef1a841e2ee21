"""The one frame step: every consumer feeds a translator that needs audio the clip's own mel windows."""

from __future__ import annotations

import numpy as np
import pytest

from w2le_live.translators.base import Controls
from w2le_live.translators.landmark import LandmarkTranslator


class AudioProbe(LandmarkTranslator):
    """The real landmark warp, declared as needing audio; records the mel window of every call."""

    name = "probe"
    needs_audio = True

    def __init__(self):
        super().__init__()
        self.mels: list = []

    def translate(self, frame, face, mel, controls):
        self.mels.append(None if mel is None else mel.copy())
        return super().translate(frame, face, mel, controls)


@pytest.fixture(scope="module")
def talking(shared_data):
    return shared_data / "talking" / "lrs3" / "0Fi83BHQsMA_00002.mp4"


def _clip_windows(path, n):
    from w2le_live.audio.mel import melspectrogram
    from w2le_live.audio.windows import frame_mel_windows
    from w2le_live.io.video import read_audio

    return frame_mel_windows(melspectrogram(read_audio(path)), n)


def test_evaluation_feeds_the_clip_audio_to_a_translator_that_needs_it(talking, tmp_path):
    from training.evaluate import evaluate_pairs

    probe = AudioProbe()
    evaluate_pairs([(str(talking), str(talking), "neutral", "happy")], lambda: probe, tmp_path, max_frames=10)
    assert len(probe.mels) >= 8 and all(m is not None for m in probe.mels)
    want = _clip_windows(talking, 10)
    # the tracked frames are the first ones of the clip: window k is the whole-clip mel slice of frame k
    for k, m in enumerate(probe.mels):
        np.testing.assert_array_equal(m, want[k])
    assert np.std(np.stack(probe.mels)) > 0.1  # speech, not the constant mel of silence


def test_file_translation_and_calibration_use_the_same_windows(talking, tmp_path):
    from engines.quantize import calibration_batches
    from w2le_live.offline import translate_file

    probe = AudioProbe()
    translate_file(talking, tmp_path / "o.mp4", probe, Controls("happy", 1.0), progress=False)
    want = _clip_windows(talking, len(probe.mels))
    np.testing.assert_array_equal(np.stack(probe.mels), want)
    cal = list(calibration_batches([talking], max_frames=6))
    for k, (faces, mel) in enumerate(cal):
        assert faces.shape == (1, 6, 96, 96) and faces.flags.c_contiguous and mel.flags.c_contiguous
        np.testing.assert_array_equal(mel[0, 0], want[k])
        # half prior hidden, ref whole
        assert np.all(faces[0, :3, 48:] == 0) and faces[0, 3:, 48:].std() > 0.01


def test_generator_input_contract_is_shared_by_training():
    from w2le_live.face.generator_input import build_generator_input, prior_mask

    rng = np.random.default_rng(0)
    prior = rng.integers(0, 255, (3, 96, 96, 3), dtype=np.uint8)
    ref = rng.integers(0, 255, (3, 96, 96, 3), dtype=np.uint8)
    x = build_generator_input(prior, ref, prior_mask("half"))
    assert x.shape == (3, 6, 96, 96) and x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_allclose(x[:, 3:], ref.transpose(0, 3, 1, 2) / 255.0, atol=1e-6)
    assert np.all(x[:, :3, 48:] == 0)
    np.testing.assert_allclose(x[:, :3, :48], prior.transpose(0, 3, 1, 2)[:, :, :48] / 255.0, atol=1e-6)
    with pytest.raises(ValueError):
        prior_mask("full")  # the full mask needs landmarks
