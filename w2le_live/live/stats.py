"""The loop's counters (each written by ONE thread) and the stats snapshot built from them."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from w2le_live.frame_step import STEP_STAGES

STAGES = (*STEP_STAGES, "output")


@dataclass(frozen=True)
class PipelineStats:
    running: bool
    fps_out: float
    fps_in: float
    latency_ms_p50: float
    latency_ms_p95: float
    stage_ms: dict[str, tuple[float, float]]  # (p50, p95)
    frames_in: int
    frames_out: int
    dropped: int
    no_face: int
    passthrough: int
    repeated: int
    errors: int
    av_offset_ms: float
    target: str
    intensity: float
    bypass: bool
    translator: str
    last_error: Optional[str] = None
    latency_ms_p99: float = 0.0
    stage_ms_p99: dict[str, float] = field(default_factory=dict)
    serving: str = ""  # short label of the translator serving the current target
    face_reused: int = 0  # late ticks filled with the newest camera frame + the last translated face
    untranslated: int = 0  # frames with a face shown WITHOUT translation after the first translated one

    def status_line(self) -> str:
        """One line for the terminal: fps, latency, A/V offset against ITU-R BT.1359, counters."""
        off = self.av_offset_ms
        verdict = "ok" if off <= 45 else ("noticeable" if off <= 90 else "too late: use the delayed mic")
        mode = "bypass" if self.bypass else f"{self.serving or self.target} x{self.intensity:.2f}"
        return (
            f"{mode} | out {self.fps_out:4.1f} fps | latency p50 {self.latency_ms_p50:5.1f} p95 "
            f"{self.latency_ms_p95:5.1f} ms | video lags audio {off:4.0f} ms ({verdict}) | dropped {self.dropped} "
            f"| no face {self.no_face} | face reused {self.face_reused} | untranslated {self.untranslated} "
            f"| errors {self.errors}"
        )


def _window(n: int) -> collections.deque:
    return collections.deque(maxlen=n)


@dataclass
class WorkerCounters:
    """Written by the worker thread only."""

    window: int = 250
    frames_in: int = 0
    dropped: int = 0
    no_face: int = 0
    errors: int = 0  # translator failures
    stage: dict[str, collections.deque] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stage = {s: _window(self.window) for s in STEP_STAGES}


@dataclass
class OutputCounters:
    """Written by the output thread only."""

    window: int = 250
    frames_out: int = 0
    passthrough: int = 0
    repeated: int = 0
    face_reused: int = 0
    untranslated: int = 0
    errors: int = 0  # sink failures
    output_ms: collections.deque = field(default_factory=collections.deque)
    latency: collections.deque = field(default_factory=collections.deque)
    out_times: collections.deque = field(default_factory=lambda: _window(100))

    def __post_init__(self) -> None:
        self.output_ms, self.latency = _window(self.window), _window(self.window)


def _pct(d, q: float) -> float:
    values = list(d)
    return float(np.percentile(values, q)) if values else 0.0


def build_stats(w: WorkerCounters, o: OutputCounters, **state) -> PipelineStats:
    """The snapshot. ``state``: running, fps_in, av_extra_ms (audio wait when the model needs audio), target,
    intensity, bypass, translator, serving, last_error."""
    ts = list(o.out_times)
    fps_out = (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 2 and ts[-1] > ts[0] else 0.0
    stages = {**w.stage, "output": o.output_ms}
    lat50 = _pct(o.latency, 50)
    return PipelineStats(
        running=state["running"],
        fps_out=fps_out,
        fps_in=float(state["fps_in"]),
        latency_ms_p50=lat50,
        latency_ms_p95=_pct(o.latency, 95),
        stage_ms={s: (_pct(d, 50), _pct(d, 95)) for s, d in stages.items()},
        frames_in=w.frames_in,
        frames_out=o.frames_out,
        dropped=w.dropped,
        no_face=w.no_face,
        passthrough=o.passthrough,
        repeated=o.repeated,
        errors=w.errors + o.errors,
        av_offset_ms=lat50 + state["av_extra_ms"],
        target=state["target"],
        intensity=state["intensity"],
        bypass=state["bypass"],
        translator=state["translator"],
        last_error=state["last_error"],
        latency_ms_p99=_pct(o.latency, 99),
        stage_ms_p99={s: _pct(d, 99) for s, d in stages.items()},
        serving=state["serving"],
        face_reused=o.face_reused,
        untranslated=o.untranslated,
    )
