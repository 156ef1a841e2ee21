"""Evaluation on real MEAD clips: the normalised emotion change with two judges, FID and the report."""

from __future__ import annotations

import json
import math

import pytest

from training.evaluate import delta


def test_delta_follows_the_paper():
    assert delta(0.1, 0.5, 0.9, False) == pytest.approx(0.5)  # half the actor's own change
    assert delta(0.1, 0.9, 0.9, False) == pytest.approx(1.0)
    assert delta(0.8, 0.3, 0.2, True) == pytest.approx(1 - abs(1 - 5 / 6))  # neutral destination: 1 - |1 - D|
    assert delta(0.8, 0.0, 0.2, True) < delta(0.8, 0.2, 0.2, True)  # overshooting neutral is penalised
    assert math.isnan(delta(0.5, 0.6, 0.5, False))


def test_landmark_translator_report_on_mead(shared_data, tmp_path):
    from training.evaluate import evaluate_pairs
    from w2le_live.translators.landmark import LandmarkTranslator

    mead = shared_data / "mead"
    pairs = [
        (
            str(mead / "M030_front_neutral_level1_001.mp4"),
            str(mead / "M030_front_happy_level3_001.mp4"),
            "neutral",
            "happy",
        )
    ]
    res = evaluate_pairs(pairs, LandmarkTranslator, tmp_path, max_frames=16)
    r = res[0]
    assert r.frames == 16 and set(r.scores) == {"fer", "facex", "fer_valence", "facex_valence"}
    for judge in ("fer", "facex"):
        s = r.scores[judge]
        assert s["destination"] > s["source"]  # the actor's own happy clip reads happier than the neutral one
        assert s["generated"] > s["source"]  # and so does ours
    assert r.fid is not None and r.fid > 0
    rep = json.loads((tmp_path / "report.json").read_text())
    assert rep[0]["pair"] == "neutral->happy"
    md = (tmp_path / "report.md").read_text()
    assert "| neutral->happy |" in md and "Mean Delta per judge" in md
    assert list(tmp_path.glob("grid_*.png"))
