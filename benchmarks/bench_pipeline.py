"""The live pipeline on a real clip standing in for a 640x480 25 fps camera: fps, latency, stages, CPU, RSS.

    python benchmarks/bench_pipeline.py                         # landmark translator, 60 s
    python benchmarks/bench_pipeline.py --width 0.5 --backend openvino --seconds 300
    python benchmarks/bench_pipeline.py --width 1.0 --int8 --seconds 120

Neural runs use initialised weights (speed does not depend on values). The clip loops; a null sink receives the
frames. RSS and queue sizes are sampled every 5 s to show that nothing grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "talking" / "web" / "retalking_1.mp4"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_translator(args, work: Path):
    from w2le_live.translators.landmark import LandmarkTranslator

    if args.width is None:
        return LandmarkTranslator()
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator
    from w2le_live.translators.neural import NeuralTranslator

    m = Wav2LipGenerator(GeneratorDims(width=args.width))
    ck = save_generator(work / "g.safetensors", m, ModelMeta(dims=m.dims, target_emotion="happy"))
    if args.int8:
        from engines.onnx_export import export_onnx
        from engines.quantize import calibration_batches, quantize_int8

        fp32 = export_onnx(
            m.eval(), work / "g.onnx", meta_json=ModelMeta(dims=m.dims, target_emotion="happy").to_json()
        )
        q = quantize_int8(fp32, work / "g.int8.onnx", list(calibration_batches([args.clip], max_frames=32)))
        return NeuralTranslator(str(q), backend=args.backend if args.backend != "torch" else "openvino")
    return NeuralTranslator(str(ck), backend=args.backend)


def plot(st, path: Path) -> None:
    """Stacked bar of per-stage latency (p50, p95, p99) as PNG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = list(st.stage_ms)
    rows = {"p50": [st.stage_ms[s][0] for s in stages], "p95": [st.stage_ms[s][1] for s in stages],
            "p99": [st.stage_ms_p99.get(s, 0.0) for s in stages]}  # fmt: skip
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, vals in enumerate(rows.values()):
        bottom = 0.0
        for s, v in zip(stages, vals):
            ax.bar(i, v, bottom=bottom, label=s if i == 0 else None, color=plt.cm.tab10(stages.index(s)))
            bottom += v
    ax.set_xticks(range(len(rows)), list(rows))
    ax.set_ylabel("ms per frame (stacked stages)")
    ax.set_title(
        f"{st.translator[:40]} | {st.fps_out:.1f} fps | e2e p95 {st.latency_ms_p95:.0f} ms", fontsize=8
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    from w2le_live.audio.ring import AudioRing
    from w2le_live.io.sinks import NullSink
    from w2le_live.io.sources import FileSource
    from w2le_live.pipeline import Pipeline, PipelineConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", default=str(DEFAULT_CLIP))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument(
        "--width", type=float, default=None, help="neural generator width; omit for the landmark translator"
    )
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--overlap", action="store_true", help="track frame n+1 while frame n is translated")
    ap.add_argument("--out", default="out/bench_pipeline")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as td:
        translator = make_translator(args, Path(td))
        ring = AudioRing(capacity_s=10)
        pipe = Pipeline(
            FileSource(args.clip, audio_ring=ring, loop=True, size=(640, 480)),
            NullSink(),
            translator,
            audio_ring=ring,
            config=PipelineConfig(overlap_tracking=args.overlap),
        )
        samples = []
        cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        pipe.start()
        try:
            while time.monotonic() - t0 < args.seconds:
                time.sleep(5.0)
                st = pipe.stats()
                samples.append({"t": round(time.monotonic() - t0, 1), "rss_mb": round(rss_mb(), 1), "fps_out": round(st.fps_out, 2),
                                "p95_ms": round(st.latency_ms_p95, 1), "cmd_queue": pipe.pending_commands()})  # fmt: skip
                print(samples[-1], flush=True)
        finally:
            pipe.stop()
        cpu1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    st = pipe.stats()
    cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / wall * 100
    print(f"translator: {st.translator}; overlap tracking: {args.overlap}")
    print(st.status_line())
    print("stage ms (p50/p95): " + ", ".join(f"{k} {a:.1f}/{b:.1f}" for k, (a, b) in st.stage_ms.items()))
    print(
        f"frames in {st.frames_in}, out {st.frames_out}, dropped {st.dropped}, passthrough {st.passthrough}, "
        f"repeated {st.repeated}, face reused {st.face_reused}, untranslated face shown {st.untranslated}"
    )
    print(f"CPU {cpu:.0f}% of one core; RSS {samples[0]['rss_mb'] if samples else 0} -> {rss_mb():.1f} MB")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot(st, out / "pipeline_stages.png")
    print(
        f"latency p99 {st.latency_ms_p99:.1f} ms; stage p99: "
        + ", ".join(f"{k} {v:.1f}" for k, v in st.stage_ms_p99.items())
    )
    (out / "pipeline.json").write_text(
        json.dumps(
            {"stats": asdict(st), "samples": samples, "cpu_percent": cpu, "args": vars(args)}, indent=2
        )
    )


if __name__ == "__main__":
    main()
