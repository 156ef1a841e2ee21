"""Bad inputs and faults through the REAL command lines (subprocesses of ``python -m w2le_live`` and
``python -m training.cli``), each checked against the README's promise: the expected exit code, the last
stderr line is ``error: <one sentence>`` naming the problem, no traceback, no native log noise, and nothing
left in the output folder. Inputs that must keep working (damaged-but-recoverable clips, a clip without a
face, an upright copy of a rotated phone clip) are in the same table with exit code 0.

The table runs concurrently (a few subprocesses at a time) the first time one of its cases is requested.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "w2le_live" / "assets" / "demo_grid_lbax4n.mp4"
NATIVE_NOISE = re.compile(
    r"^(W0000|I0000|E0000|INFO: Created TensorFlow|WARNING: All log messages|\[ WARN:)", re.M
)
LIVE = ["-m", "w2le_live"]
TRAIN = ["-m", "training.cli"]


# ---- inputs, made once from the bundled demo clip (GRID corpus, real footage) ------------------------------
def _remux(
    src: Path,
    dst: Path,
    *,
    audio: bool = True,
    video: bool = True,
    seconds: Optional[float] = None,
    options: Optional[dict] = None,
) -> Path:
    import av

    with av.open(str(src)) as i, av.open(str(dst), "w", options=options or {}) as o:
        keep = [s for s in i.streams if (s.type == "audio" and audio) or (s.type == "video" and video)]
        out = {s.index: o.add_stream_from_template(s) for s in keep}
        for pkt in i.demux(keep):
            if pkt.dts is None:
                continue
            if seconds is not None and pkt.pts is not None and float(pkt.pts * pkt.time_base) >= seconds:
                continue
            pkt.stream = out[pkt.stream.index]
            o.mux(pkt)
    return dst


def _rotate_90(src: Path, dst: Path) -> Path:
    """A phone-style clip: same pixels, with a 90-degree display matrix in the video track header (tkhd)."""
    data = bytearray(src.read_bytes())
    i = data.find(b"tkhd")
    while i != -1:
        version = data[i + 4]
        p = i + 8 + (8 if version == 0 else 16) + 4 + 4 + (4 if version == 0 else 8) + 8 + 8
        width = struct.unpack(">I", data[p + 36 : p + 40])[0]
        if width:
            data[p : p + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
        i = data.find(b"tkhd", i + 4)
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    import torch

    from training.syncnet import SyncNet
    from w2le_live.io import video
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    d = tmp_path_factory.mktemp("inputs")
    f: dict[str, Path] = {"demo": DEMO, "dir": d}
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("this is not a video\n")
    (d / "folder.mp4").mkdir()
    f["empty"], f["text"], f["folder"] = d / "empty.mp4", d / "text.mp4", d / "folder.mp4"
    f["copy"] = d / "copy.mp4"
    f["copy"].write_bytes(DEMO.read_bytes())
    f["noaudio"] = _remux(DEMO, d / "noaudio.mp4", audio=False)
    f["audioonly"] = _remux(DEMO, d / "audioonly.mp4", video=False)
    f["short"] = _remux(DEMO, d / "short.mp4", seconds=0.1)
    data = bytearray(DEMO.read_bytes())  # damaged at 45-60 %: decoding must continue past it
    a, b = int(len(data) * 0.45), int(len(data) * 0.60)
    data[a:b] = np.random.default_rng(0).integers(0, 256, b - a, dtype=np.uint8).tobytes()
    f["damaged"] = d / "damaged.mp4"
    f["damaged"].write_bytes(bytes(data))
    fast = _remux(
        DEMO, d / "faststart.mp4", options={"movflags": "faststart"}
    )  # index at the front, then cut
    f["truncated"] = d / "truncated.mp4"
    f["truncated"].write_bytes(fast.read_bytes()[: int(fast.stat().st_size * 0.6)])
    f["rot90"] = _rotate_90(DEMO, d / "rot90.mp4")
    frames = [fr for _, _, fr in video.iter_frames(DEMO)][:10]  # a real corner of the clip with no face in it
    with video.VideoWriter(d / "noface.mp4", 25, (96, 96)) as w:
        for fr in frames:
            w.write(np.ascontiguousarray(fr[-96:, :96]))
    f["noface"] = d / "noface.mp4"
    # models
    torch.manual_seed(0)
    gen = Wav2LipGenerator(GeneratorDims(width=0.25))
    meta = ModelMeta(dims=GeneratorDims(width=0.25), source_emotion="neutral", target_emotion="happy")
    f["tiny"] = save_generator(d / "tiny.safetensors", gen, meta)
    sd = gen.state_dict()
    sd["audio_encoder.0.conv_block.0.weight"] = torch.zeros(3, 1, 3, 3)
    torch.save(sd, d / "wrongshape.pth")
    f["wrongshape"] = d / "wrongshape.pth"
    f["cut_safetensors"] = d / "cut.safetensors"
    f["cut_safetensors"].write_bytes(f["tiny"].read_bytes()[:5000])
    (d / "text.pth").write_text("hello, I am a text file\n")
    f["text_pth"] = d / "text.pth"
    f["random_pth"] = d / "random.pth"
    f["random_pth"].write_bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    (d / "text.onnx").write_text("hello, I am a text file\n")
    f["text_onnx"] = d / "text.onnx"
    (d / "model.txt").write_text("hello\n")
    f["model_txt"] = d / "model.txt"
    f["syncnet"] = d / "syncnet.pt"  # as w2le-train syncnet writes it
    torch.save(
        {
            "model": SyncNet(0.25).state_dict(),
            "optimizer": {},
            "step": 1,
            "width": 0.25,
            "config_json": json.dumps({"syncnet_width": 0.25}),
            "rng": {},
        },
        f["syncnet"],
    )
    f["gen_ck"] = d / "generator_latest.pt"  # as w2le-train generator writes it
    torch.save(
        {"model": gen.state_dict(), "dims": gen.dims.to_dict(), "step": 3, "rng": {},
         "config_json": json.dumps({"mask": "half", "target_emotion": "happy"})},
        f["gen_ck"],
    )  # fmt: skip
    lin = torch.nn.Linear(3, 2)
    torch.onnx.export(
        lin, (torch.zeros(1, 3),), str(d / "wrong.onnx"), input_names=["x"], output_names=["y"], dynamo=False
    )
    f["wrong_onnx"] = d / "wrong.onnx"
    # training configs
    for name, text in {
        "bad.json": '{"width": 0.5,',
        "bad.yaml": "width: [0.5\n",
        "abc.json": '{"width": "abc"}',
        "list.json": "[1, 2]",
        "zero.json": '{"batch_size": 0}',
        "unknown.json": '{"widht": 0.5}',
    }.items():
        (d / name).write_text(text)
        f[name] = d / name
    (d / "mead_empty").mkdir()
    f["mead_empty"] = d / "mead_empty"
    return f


# ---- the table ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[dict, Path], list]  # (inputs, empty output folder) -> arguments after the interpreter
    code: int  # expected exit code
    says: tuple[str, ...]  # substrings of the last stderr line (case-insensitive)
    setup: Optional[Callable[[Path], None]] = None
    env: dict = field(default_factory=dict)
    fsize_limit: Optional[int] = None  # bytes: RLIMIT_FSIZE, i.e. a full disk for files this process writes
    leaves: tuple[str, ...] = ()  # files the output folder must hold afterwards (successes)
    also: tuple[str, ...] = ()  # substrings elsewhere in stderr (summaries)
    # (output folder, inputs) -> None: files the case needs in its output folder
    prepare: Optional[Callable[[Path, dict], None]] = None
    # files (relative to the output folder) whose bytes must survive unchanged: the data-loss rows
    victims: tuple[str, ...] = ()
    # environment variables the case needs (skipped with a reason without them)
    requires: tuple[str, ...] = ()


def _t(*a):  # translate with the inputs' paths filled in
    return lambda f, o: [*LIVE, "translate", *[x(f, o) if callable(x) else x for x in a], "--no-progress"]


def _run(*a, sink: Optional[str] = None):
    def argv(f, o):
        out = sink(f, o) if callable(sink) else (sink or "null")
        return [
            *LIVE,
            "run",
            "--source",
            str(DEMO),
            "--sink",
            out,
            "--quiet",
            *[x(f, o) if callable(x) else x for x in a],
        ]

    return argv


def _ex(*a):
    return lambda f, o: [*LIVE, "export", *[x(f, o) if callable(x) else x for x in a]]


def _ev(*a):
    return lambda f, o: [*TRAIN, "eval", *[x(f, o) if callable(x) else x for x in a], "-o", str(o / "report")]


def _tr(*a):
    return lambda f, o: [*TRAIN, *[x(f, o) if callable(x) else x for x in a]]


def inp(key: str):  # an input file's path
    return lambda f, o: str(f[key])


def outp(name: str):  # a path inside the case's output folder
    return lambda f, o: str(o / name)


def _gen(*a):  # w2le-train generator with data/out in the output folder and cheap settings
    return _tr("generator", lambda f, o: f"data={o / 'nodata'}", lambda f, o: f"out={o / 'run'}", *a)


MODEL = ("--backend", "torch")
BANK = "data/profiles/me/happy.npz"  # a profile's bank ($W2LE_DATA_DIR is the case's data/ folder)
NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}


def _copy(key: str, name: str, *, link: Optional[str] = None, hard: bool = False):
    """prepare: a copy of an input as ``name`` in the output folder, plus ``link`` pointing at it (sym or hard)."""

    def prepare(o: Path, f: dict) -> None:
        (o / name).parent.mkdir(parents=True, exist_ok=True)
        (o / name).write_bytes(Path(f[key]).read_bytes())
        if link and hard:
            os.link(o / name, o / link)
        elif link:
            (o / link).symlink_to(name)

    return prepare


def _tree(*folders: str, clip: Optional[str] = None):
    """prepare: empty folders, and the demo clip linked in as ``clip``."""

    def prepare(o: Path, f: dict) -> None:
        for x in folders:
            (o / x).mkdir(parents=True)
        if clip:
            (o / clip).parent.mkdir(parents=True, exist_ok=True)
            (o / clip).symlink_to(DEMO)

    return prepare


OUT_RULE_CASES = [
    # ONE output rule (validation.check_outputs): no output is an input, another output, or inside a profile
    Case("out-translate-over-model", _t("--demo", "-o", outp("M.safetensors"), "--model", outp("M.safetensors"), *MODEL),
         2, ("M.safetensors", "same file as --model"), prepare=_copy("tiny", "M.safetensors"), victims=("M.safetensors",)),
    Case("out-translate-symlink-to-model", _t("--demo", "-o", outp("link.mp4"), "--model", outp("M.safetensors"), *MODEL),
         2, ("link.mp4", "same file as --model"), prepare=_copy("tiny", "M.safetensors", link="link.mp4"),
         victims=("M.safetensors",)),
    Case("out-translate-hardlink-to-input", _t(outp("in.mp4"), "-o", outp("hl.mp4")), 2,
         ("hl.mp4", "same file as the input video"), prepare=_copy("demo", "in.mp4", link="hl.mp4", hard=True),
         victims=("in.mp4",)),
    Case("out-translate-relative-to-input", _t(outp("in.mp4"), "-o", lambda f, o: f"{o.name}/sub/../in.mp4"), 2,
         ("same file as the input video",), prepare=_copy("demo", "in.mp4"), victims=("in.mp4",)),
    Case("out-translate-into-profile", _t("--demo", "-o", outp(BANK)), 2, ("happy.npz", "personal-profile folder"),
         prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    Case("out-run-sink-over-model", _run("--model", outp("M.safetensors"), *MODEL, sink=lambda f, o: f"file:{o / 'M.safetensors'}"),
         2, ("--sink file:", "same file as --model"), prepare=_copy("tiny", "M.safetensors"), victims=("M.safetensors",)),
    Case("out-run-stats-over-model", _run("--model", outp("M.safetensors"), *MODEL, "--stats-json", outp("M.safetensors")),
         2, ("--stats-json", "same file as --model"), prepare=_copy("tiny", "M.safetensors"), victims=("M.safetensors",)),
    Case("out-run-sink-is-stats", _run("--stats-json", outp("rec.mp4"), sink=lambda f, o: f"file:{o / 'rec.mp4'}"), 2,
         ("--stats-json", "same path as --sink file:"), prepare=_copy("demo", "rec.mp4"), victims=("rec.mp4",)),
    Case("out-run-stats-into-profile", _run("--stats-json", outp(BANK)), 2, ("personal-profile folder",),
         prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    Case("out-export-symlink-to-checkpoint", _ex(outp("M.safetensors"), "-o", outp("g.onnx")), 2,
         ("g.onnx", "same file as the checkpoint"), prepare=_copy("tiny", "M.safetensors", link="g.onnx"),
         victims=("M.safetensors",)),
    Case("out-build-engine-into-profile", lambda f, o: [*LIVE, "build-engine", str(f["tiny"]), "--out", str(o / "data/profiles/me/g.engine")],
         2, ("personal-profile folder",), prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    Case("out-train-export-over-checkpoint", _tr("export", outp("ck.pt"), "-o", outp("ck.pt")), 2,
         ("ck.pt", "same file as the checkpoint"), prepare=_copy("gen_ck", "ck.pt"), victims=("ck.pt",)),
    Case("out-train-out-into-profile", _tr("syncnet", lambda f, o: f"data={o / 'nodata'}", lambda f, o: f"out={o / 'data/profiles/me'}"),
         2, ("out=", "personal-profile folder"), prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    Case("out-enroll-bank-is-source", lambda f, o: [*LIVE, "enroll", "--profile", "me", "--emotion", "happy", "--source", str(o / BANK)],
         2, ("happy.npz",), prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    Case("out-preprocess-into-source", _tr("preprocess", outp("src"), "--out", outp("src")), 2,
         ("--out", "same folder as the source folder"), prepare=_tree("src")),
    Case("out-eval-into-profile", lambda f, o: [*TRAIN, "eval", "--pair", str(DEMO), str(DEMO), "neutral", "happy", "-o", str(o / "data/profiles/me/rep")],
         2, ("personal-profile folder",), prepare=_copy("cut_safetensors", BANK), victims=(BANK,)),
    # output folders get their missing parents (the README's commands on a fresh checkout), still never a file/device
    Case("train-preprocess-new-parents", _tr("preprocess", outp("src"), "--out", outp("work/prep"), "--workers", "1"), 0,
         ("actors train/val/test",), prepare=_tree(clip="src/grid/neutral/demo.mp4"),
         leaves=("work/prep/manifest.jsonl", "work/prep/splits.json",
                 *(f"work/prep/grid/neutral/level_1/demo/{x}" for x in ("audio.npy", "frames.npy", "masks.npy", "mel.npy", "meta.json")))),
    Case("train-preprocess-nothing-found", _tr("preprocess", outp("src"), "--out", outp("work/prep")), 2,
         ("no clip with a face",), prepare=_tree("src")),
    Case("train-out-new-parents", _tr("syncnet", lambda f, o: f"data={o / 'nodata'}", lambda f, o: f"out={o / 'runs/deep/sync'}"),
         2, ("manifest.jsonl", "w2le-train preprocess")),
    Case("train-out-through-file", _tr("syncnet", lambda f, o: f"data={o}", lambda f, o: f"out={f['text']}/run"), 2,
         ("text.mp4 is a file", "out=")),
    Case("train-out-through-device", _tr("syncnet", lambda f, o: f"data={o}", "out=/dev/null/run"), 2,
         ("/dev/null", "not a folder")),
    # eval: one sentence, never an internal error
    Case("eval-pair-unknown-emotion", _ev("--pair", inp("demo"), inp("demo"), "neutral", "joy"), 2,
         ("'joy' is not an emotion",)),
    Case("eval-emotions-unknown", _ev("--mead", inp("mead_empty"), "--emotions", "neutral:joy"), 2, ("--emotions", "'joy'")),
    Case("eval-contempt-destination", _ev("--pair", inp("demo"), inp("demo"), "neutral", "contempt"), 2,
         ("'contempt' cannot be a destination",)),
    Case("eval-facex-not-tflite", _ev("--pair", inp("demo"), inp("demo"), "neutral", "happy", "--facex", inp("wrong_onnx")),
         2, ("wrong.onnx", "not the facex emotion classifier")),
    Case("eval-source-no-face", _ev("--pair", inp("noface"), inp("demo"), "neutral", "happy", "--max-frames", "5"), 2,
         ("no face", "source clip", "noface.mp4"), requires=("W2LE_FACEX_MODEL",)),
    Case("eval-destination-no-face", _ev("--pair", inp("demo"), inp("noface"), "neutral", "happy", "--max-frames", "5"), 2,
         ("no face", "destination clip", "noface.mp4"), requires=("W2LE_FACEX_MODEL",)),
    # export writes what the suffix says; run --duration is exact; preview without a display is one sentence
    Case("train-export-onnx", _tr("export", inp("gen_ck"), "-o", outp("g.onnx")), 0, ("wrote",), leaves=("g.onnx",)),
    Case("train-export-safetensors", _tr("export", inp("gen_ck"), "-o", outp("g.safetensors")), 0, ("wrote",),
         leaves=("g.safetensors",)),
    Case("train-export-unknown-suffix", _tr("export", inp("gen_ck"), "-o", outp("g.pth")), 2, ("g.pth", ".safetensors", ".onnx")),
    Case("run-duration-1.5", _run("--duration", "1.5", sink=lambda f, o: f"file:{o / 'o.mp4'}"), 0, ("out",), leaves=("o.mp4",)),
    Case("run-preview-no-display", _run(sink="preview"), 2, ("no graphical display", "--sink preview"), env=NO_DISPLAY),
    Case("run-preview-dead-x-display", _run(sink="preview"), 2, ("display :97 is not running", "--sink preview"),
         env={**NO_DISPLAY, "DISPLAY": ":97"}),
]  # fmt: skip

CASES = [
    # translate: input files
    Case(
        "translate-missing-file",
        _t(outp("../missing.mp4"), "-o", outp("o.mp4")),
        2,
        ("missing.mp4", "does not exist"),
    ),
    Case("translate-empty-file", _t(inp("empty"), "-o", outp("o.mp4")), 2, ("empty.mp4", "empty")),
    Case(
        "translate-corrupt-file",
        _t(inp("text"), "-o", outp("o.mp4")),
        2,
        ("text.mp4", "not a readable video"),
    ),
    Case("translate-folder-input", _t(inp("folder"), "-o", outp("o.mp4")), 2, ("folder.mp4", "folder")),
    Case("translate-audio-only", _t(inp("audioonly"), "-o", outp("o.mp4")), 2, ("no video stream",)),
    Case("translate-no-input", _t("-o", outp("o.mp4")), 2, ("no input video",)),
    Case(
        "translate-damaged-mid-clip",
        _t(inp("damaged"), "-o", outp("o.mp4")),
        0,
        ("wrote",),
        leaves=("o.mp4",),
        also=("damaged input: 13 frames",),
    ),
    Case(
        "translate-truncated-index-first",
        _t(inp("truncated"), "-o", outp("o.mp4")),
        0,
        ("wrote",),
        leaves=("o.mp4",),
        also=("truncated",),
    ),
    Case(
        "translate-no-face-passthrough",
        _t(inp("noface"), "-o", outp("o.mp4")),
        0,
        ("wrote",),
        leaves=("o.mp4",),
        also=("0 with a face",),
    ),
    Case("translate-demo-ok", _t("--demo", "-o", outp("o.mp4")), 0, ("wrote",), leaves=("o.mp4",)),
    # translate: output paths
    Case("translate-out-is-input", _t(inp("copy"), "-o", inp("copy")), 2, ("same file as the input video",)),
    Case(
        "translate-out-is-folder",
        _t("--demo", "-o", outp("sub")),
        2,
        ("is a folder",),
        setup=lambda o: (o / "sub").mkdir(),
    ),
    Case(
        "translate-out-missing-folder",
        _t("--demo", "-o", outp("nodir/o.mp4")),
        2,
        ("nodir", "does not exist"),
    ),
    Case("translate-out-proc", _t("--demo", "-o", "/proc/w2le_x.mp4"), 2, ("/proc", "not writable")),
    Case("translate-out-sys", _t("--demo", "-o", "/sys/w2le_x.mp4"), 2, ("/sys", "not writable")),
    # a special file (never /dev/null here: code without the check would replace the device with the mp4)
    Case(
        "translate-out-fifo",
        _t("--demo", "-o", outp("fifo.mp4")),
        2,
        ("fifo.mp4", "not a regular file"),
        setup=lambda o: os.mkfifo(o / "fifo.mp4"),
    ),
    Case(
        "translate-disk-full",
        _t("--demo", "-o", outp("o.mp4")),
        2,
        ("o.mp4", "no space left"),
        fsize_limit=40_000,
    ),
    # translate: options
    Case("translate-intensity-3", _t("--demo", "-o", outp("o.mp4"), "--intensity", "3"), 2, ("--intensity",)),
    Case(
        "translate-intensity-neg", _t("--demo", "-o", outp("o.mp4"), "--intensity", "-1"), 2, ("--intensity",)
    ),
    Case(
        "translate-intensity-abc",
        _t("--demo", "-o", outp("o.mp4"), "--intensity", "abc"),
        2,
        ("not a number",),
    ),
    Case(
        "translate-bad-target",
        _t("--demo", "-o", outp("o.mp4"), "--target", "bored"),
        2,
        ("choose --target",),
    ),
    # translate: model files
    Case(
        "model-missing",
        _t("--demo", "-o", outp("o.mp4"), "--model", outp("../none.safetensors"), *MODEL),
        2,
        ("none.safetensors", "does not exist"),
    ),
    Case(
        "model-text-pth",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("text_pth")),
        2,
        ("text.pth", "not a readable pytorch checkpoint (it is a text file)"),
    ),
    Case(
        "model-text-onnx",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("text_onnx")),
        2,
        ("text.onnx", "not a valid onnx model"),
    ),
    Case(
        "model-wrong-onnx",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("wrong_onnx")),
        2,
        ("wrong.onnx", "does not run as a wav2lip generator"),
    ),
    Case(
        "model-unknown-suffix",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("model_txt")),
        2,
        ("model.txt", "unknown model file type"),
    ),
    Case(
        "model-random-bytes",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("random_pth")),
        2,
        ("random.pth", "corrupt or truncated"),
    ),
    Case("model-is-folder", _t("--demo", "-o", outp("o.mp4"), "--model", inp("folder")), 2, ("is a folder",)),
    Case(
        "model-wrong-shape",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("wrongshape"), *MODEL),
        2,
        ("audio_encoder.0.conv_block.0.weight", "has shape"),
    ),
    Case(
        "model-truncated-safetensors",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("cut_safetensors")),
        2,
        ("cut.safetensors", "not a valid safetensors"),
    ),
    Case(
        "model-training-checkpoint",
        _t("--demo", "-o", outp("o.mp4"), "--model", inp("syncnet"), *MODEL),
        2,
        ("syncnet.pt", "training checkpoint"),
    ),
    Case(
        "model-no-audio",
        _t(inp("noaudio"), "-o", outp("o.mp4"), "--model", inp("tiny"), *MODEL),
        2,
        ("no audio track", "--allow-silence"),
    ),
    Case(
        "model-short-clip",
        _t(inp("short"), "-o", outp("o.mp4"), "--model", inp("tiny"), *MODEL),
        2,
        ("shorter than one 200 ms audio window",),
    ),
    # run (live) and tray
    Case("run-fps-0", _run("--fps", "0"), 2, ("--fps", "greater than 0")),
    Case("run-fps-negative", _run("--fps", "-5"), 2, ("--fps",)),
    Case("run-intensity-99", _run("--intensity", "99"), 2, ("--intensity", "from 0 to 1.5")),
    Case("run-intensity-negative", _run("--intensity", "-1"), 2, ("--intensity",)),
    Case("run-width-0", _run("--width", "0"), 2, ("--width",)),
    Case("run-sink-is-source", _run(sink=lambda f, o: f"file:{DEMO}"), 2, ("same file as --source",)),
    Case("run-sink-folder", _run(sink=lambda f, o: f"file:{o}"), 2, ("is a folder",)),
    Case("run-sink-unknown", _run(sink="bogus"), 2, ("unknown sink 'bogus'",)),
    Case("run-sink-vcam-missing", _run(sink="vcam"), 2, ("virtual camera",)),
    Case(
        "run-stats-json-missing-folder",
        _run("--stats-json", outp("nodir/s.json")),
        2,
        ("nodir", "does not exist"),
    ),
    Case(
        "run-source-missing",
        lambda f, o: [*LIVE, "run", "--source", str(o / "none.mp4"), "--sink", "null"],
        2,
        ("--source", "neither a camera"),
    ),
    Case(
        "run-camera-missing",
        lambda f, o: [*LIVE, "run", "--source", "7", "--sink", "null", "--mic", "none"],
        2,
        ("camera 7 could not be opened",),
    ),
    Case(
        "run-sink-disk-full",
        _run(sink=lambda f, o: f"file:{o / 'o.mp4'}"),
        2,
        ("o.mp4", "no space left"),
        fsize_limit=40_000,
    ),
    Case(
        "run-file-sink-ok",
        _run("--duration", "1", sink=lambda f, o: f"file:{o / 'o.mp4'}"),
        0,
        ("out",),
        leaves=("o.mp4",),
    ),
    Case(
        "tray-no-display",
        lambda f, o: [*LIVE, "tray", "--source", str(DEMO), "--sink", "null"],
        2,
        ("no graphical display",),
        env={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None},
    ),
    Case("tray-fps-0", lambda f, o: [*LIVE, "tray", "--fps", "0"], 2, ("--fps",)),
    # export and build-engine
    Case("export-batch-0", _ex(inp("tiny"), "-o", outp("g.onnx"), "--batch", "0"), 2, ("--batch",)),
    Case("export-batch-negative", _ex(inp("tiny"), "-o", outp("g.onnx"), "--batch", "-3"), 2, ("--batch",)),
    Case(
        "export-opset-3",
        _ex(inp("tiny"), "-o", outp("g.onnx"), "--opset", "3"),
        2,
        ("--opset", "from 11 to 20"),
    ),
    Case(
        "export-missing-folder", _ex(inp("tiny"), "-o", outp("nodir/g.onnx")), 2, ("nodir", "does not exist")
    ),
    Case(
        "export-missing-checkpoint",
        _ex(outp("../none.pth"), "-o", outp("g.onnx")),
        2,
        ("none.pth", "does not exist"),
    ),
    Case(
        "export-text-checkpoint",
        _ex(inp("text_pth"), "-o", outp("g.onnx")),
        2,
        ("text.pth", "not a readable"),
    ),
    Case("export-not-onnx-suffix", _ex(inp("tiny"), "-o", outp("g.bin")), 2, ("g.bin", ".onnx")),
    Case(
        "export-int8-no-calib", _ex(inp("tiny"), "-o", outp("g.onnx"), "--int8"), 2, ("--int8 needs --calib",)
    ),
    Case(
        "export-int8-calib-missing",
        _ex(inp("tiny"), "-o", outp("g.onnx"), "--int8", "--calib", outp("../none.mp4")),
        2,
        ("none.mp4", "does not exist"),
    ),
    Case(
        "export-int8-calib-no-face",
        _ex(inp("tiny"), "-o", outp("g.onnx"), "--int8", "--calib", inp("noface")),
        2,
        ("no face was found",),
    ),
    Case("export-ok", _ex(inp("tiny"), "-o", outp("g.onnx")), 0, ("wrote",), leaves=("g.onnx",)),
    Case(
        "build-engine-batch-0",
        lambda f, o: [*LIVE, "build-engine", str(f["tiny"]), "--batch", "0"],
        2,
        ("--batch",),
    ),
    # eval
    Case("eval-mead-missing", _ev("--mead", outp("../no_mead")), 2, ("no_mead", "does not exist")),
    Case("eval-mead-is-file", _ev("--mead", inp("text")), 2, ("not a folder",)),
    Case(
        "eval-emotions-malformed",
        _ev("--mead", inp("mead_empty"), "--emotions", "neutral-happy"),
        2,
        ("neutral-happy", "source:target"),
    ),
    Case("eval-mead-no-pairs", _ev("--mead", inp("mead_empty")), 2, ("no clip pair",)),
    Case("eval-nothing", _ev(), 2, ("nothing to evaluate",)),
    Case(
        "eval-facex-missing",
        _ev("--pair", inp("demo"), inp("demo"), "neutral", "happy", "--facex", outp("../none.tflite")),
        2,
        ("none.tflite", "missing"),
    ),
    Case(
        "eval-pair-missing-clip",
        _ev("--pair", outp("../none.mp4"), inp("demo"), "neutral", "happy"),
        2,
        ("none.mp4", "does not exist"),
    ),
    Case(
        "eval-syncnet-text",
        _ev("--pair", inp("demo"), inp("demo"), "neutral", "happy", "--syncnet", inp("text_pth")),
        2,
        ("text.pth", "not a readable"),
    ),
    Case(
        "eval-syncnet-generator",
        _ev("--pair", inp("demo"), inp("demo"), "neutral", "happy", "--syncnet", inp("wrongshape")),
        2,
        ("wrongshape.pth", "not a w2le-train checkpoint"),
    ),
    # w2le-train
    Case(
        "train-config-missing",
        _tr("generator", "--config", outp("../none.json")),
        2,
        ("none.json", "does not exist"),
    ),
    Case(
        "train-config-bad-json",
        _tr("generator", "--config", inp("bad.json")),
        2,
        ("bad.json", "not valid json"),
    ),
    Case(
        "train-config-bad-yaml",
        _tr("generator", "--config", inp("bad.yaml")),
        2,
        ("bad.yaml", "not valid yaml"),
    ),
    Case(
        "train-config-wrong-type", _tr("generator", "--config", inp("abc.json")), 2, ("width", "not a number")
    ),
    Case("train-config-not-mapping", _tr("generator", "--config", inp("list.json")), 2, ("mapping",)),
    Case(
        "train-config-batch-0",
        _tr("generator", "--config", inp("zero.json")),
        2,
        ("batch_size", "out of range"),
    ),
    Case(
        "train-config-unknown-key",
        _tr("generator", "--config", inp("unknown.json")),
        2,
        ("unknown config key",),
    ),
    Case("train-override-abc", _gen("width=abc"), 2, ("width=abc", "not a number")),
    Case("train-override-batch-0", _gen("batch_size=0"), 2, ("batch_size", "out of range")),
    Case("train-override-no-equals", _gen("width"), 2, ("not key=value",)),
    Case("train-override-bad-mask", _gen("mask=quarter"), 2, ("mask", "half, full")),
    Case("train-override-bad-bool", _gen("amp=maybe"), 2, ("amp=maybe", "true or false")),
    Case("train-max-steps-0", _tr("syncnet", "--max-steps", "0"), 2, ("--max-steps",)),
    Case(
        "train-no-data", _gen("strategy=l1", "s_g=0", "s_w=0"), 2, ("manifest.jsonl", "w2le-train preprocess")
    ),
    Case(
        "train-syncnet-checkpoint-text",
        _gen("strategy=l1", "s_g=0", lambda f, o: f"syncnet_checkpoint={f['text_pth']}"),
        2,
        ("text.pth", "not a readable"),
    ),
    Case(
        "train-export-missing",
        _tr("export", outp("../none.pt"), "-o", outp("g.safetensors")),
        2,
        ("does not exist",),
    ),
    Case(
        "train-export-text",
        _tr("export", inp("text_pth"), "-o", outp("g.safetensors")),
        2,
        ("not a readable",),
    ),
    Case(
        "train-export-runtime-file",
        _tr("export", inp("tiny"), "-o", outp("g.safetensors")),
        2,
        ("already a runtime checkpoint",),
    ),
    Case(
        "train-export-syncnet",
        _tr("export", inp("syncnet"), "-o", outp("g.safetensors")),
        2,
        ("not a generator training checkpoint",),
    ),
    Case(
        "train-export-missing-folder",
        _tr("export", inp("syncnet"), "-o", outp("nodir/g.safetensors")),
        2,
        ("nodir", "does not exist"),
    ),
    Case(
        "train-preprocess-out-is-file",
        _tr("preprocess", inp("dir"), "--out", inp("text")),
        2,
        ("--out", "is a file, not a folder"),
    ),
    Case(
        "train-out-unwritable",
        _tr("syncnet", lambda f, o: f"data={o}", "out=/proc/w2le_run"),
        2,
        ("/proc", "not writable"),
    ),
    Case(
        "train-preprocess-missing",
        _tr("preprocess", outp("../no_src"), "--out", outp("prep")),
        2,
        ("no_src",),
    ),
    *OUT_RULE_CASES,
]


def _env(extra: dict, cwd: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), W2LE_CACHE_DIR=str(cwd / "cache"), OMP_NUM_THREADS="1")
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def _limit(fsize: Optional[int]):
    if fsize is None:
        return None

    def pre():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG, like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return pre


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != ".before")


def _execute(case: Case, f: dict, root: Path) -> tuple[subprocess.CompletedProcess, Path]:
    out = root / case.id
    out.mkdir(parents=True)
    if case.setup:
        case.setup(out)
    if case.prepare:
        case.prepare(out, f)
    before = {
        "top": sorted(os.listdir(out)),
        "files": _files(out),
        "hashes": {v: _sha256(out / v) for v in case.victims},
    }
    (out / ".before").write_text(json.dumps(before))  # what the setup made
    args = [sys.executable, *case.argv(f, out)]
    try:
        r = subprocess.run(
            args,
            cwd=root,
            env=_env({"W2LE_DATA_DIR": str(out / "data"), **case.env}, root),
            capture_output=True,
            text=True,
            timeout=150,
            preexec_fn=_limit(case.fsize_limit),
        )
    except subprocess.TimeoutExpired as exc:  # a hang fails its own case, not the whole table
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        r = subprocess.CompletedProcess(args, -1, "", err + "\n(hung: killed after 150 s)")
    return r, out


@pytest.fixture(scope="module")
def results(inputs, request, tmp_path_factory) -> dict:
    """Run every selected case of the table, three at a time; {case id: (CompletedProcess, output folder)}."""
    wanted = {
        it.callspec.params["case"].id
        for it in request.session.items
        if getattr(it, "callspec", None) and isinstance(it.callspec.params.get("case"), Case)
    }
    root = tmp_path_factory.mktemp("cases")
    todo = [c for c in CASES if c.id in wanted and all(os.environ.get(v) for v in c.requires)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = dict(zip((c.id for c in todo), pool.map(lambda c: _execute(c, inputs, root), todo)))
    return done


def last_line(stderr: str) -> str:
    lines = [seg for line in stderr.splitlines() for seg in line.split("\r")]
    lines = [x.strip() for x in lines if x.strip()]
    return lines[-1] if lines else ""


def is_one_sentence(line: str) -> bool:
    """Ends with a period and has no sentence break inside (abbreviations and paths aside)."""
    if not line.endswith("."):
        return False
    body = re.sub(r"\b(e\.g|i\.e|etc)\.", "", line[:-1])
    body = re.sub(r"\S*[/\\]\S*", "PATH", body)  # paths may hold dots
    return not re.search(r"[.!?]\s+\S", body)


def test_table_covers_every_case_once():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 80


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, results):
    missing = [v for v in case.requires if not os.environ.get(v)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (set by conftest when the shared data holds it)")
    r, out = results[case.id]
    err = r.stderr
    assert "Traceback" not in err, err[-3000:]
    assert not NATIVE_NOISE.search(err), f"native log lines on stderr:\n{err[-2000:]}"
    line = last_line(err)
    assert r.returncode == case.code, (r.returncode, err[-2000:])
    for s in case.says:
        assert s.lower() in line.lower(), f"expected {s!r} in the last line: {line!r}"
    for s in case.also:
        assert s.lower() in err.lower(), f"expected {s!r} in stderr:\n{err[-2000:]}"
    before = json.loads((out / ".before").read_text())
    for name, digest in before["hashes"].items():
        assert (out / name).is_file() and _sha256(out / name) == digest, f"{name} was changed or removed"
    files = sorted(set(_files(out)) - set(before["files"]))
    made = sorted(set(os.listdir(out)) - set(before["top"]) - {".before"})
    if case.code == 0:
        assert files == sorted(case.leaves), files
    else:
        assert line.startswith("error: "), line
        assert is_one_sentence(line[len("error: ") :]), f"not one sentence: {line!r}"
        assert files == [] and made == [], f"files or folders left behind: {files or made}"
        assert err.count(line[len("error: ") :]) == 1, f"the error is printed more than once:\n{err[-2000:]}"
        assert "frames are being dropped" not in err, "the output failure was reported per frame"


def _case_result(case_id: str, results: dict, inputs: dict, tmp_path: Path):
    """A table case's (CompletedProcess, output folder), run here when the table run did not select it."""
    if case_id in results:
        return results[case_id]
    return _execute(next(c for c in CASES if c.id == case_id), inputs, tmp_path)


def test_run_duration_is_exact_to_the_frame(results, inputs, tmp_path: Path):
    """``run --duration 1.5`` at 25 fps records 1.5 s within one frame (it was 1.96 s: the loop polled once a second)."""
    import av

    r, out = _case_result("run-duration-1.5", results, inputs, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    with av.open(str(out / "o.mp4")) as c:
        v = c.streams.video[0]
        frames = sum(1 for _ in c.demux(v) if _.size)
        rate = float(v.average_rate)
    assert rate == 25.0
    assert abs(frames / rate - 1.5) <= 1 / rate + 1e-9, frames


def test_train_export_onnx_runs_in_onnxruntime(results, inputs, tmp_path: Path):
    """``w2le-train export -o g.onnx`` writes an ONNX graph (not safetensors bytes) that runs and matches torch."""
    import onnxruntime as ort
    import torch

    from training.checkpointing import generator_from_checkpoint

    r, out = _case_result("train-export-onnx", results, inputs, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    sess = ort.InferenceSession(str(out / "g.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {
        i.name: rng.standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
        for i in sess.get_inputs()
    }
    got = sess.run(None, feed)[0]
    model, meta = generator_from_checkpoint(inputs["gen_ck"])
    with torch.no_grad():
        want = model(*(torch.from_numpy(feed[n]) for n in ("mel", "faces"))).numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-3
    assert "w2le_meta" in {p.key for p in __import__("onnx").load(str(out / "g.onnx")).metadata_props}


# ---- faults that need more than one command line -----------------------------------------------------------
def _popen(args: list, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=_env({}, cwd), stderr=subprocess.PIPE, text=True
    )


def test_sigterm_during_translate_leaves_no_partial_file(tmp_path: Path, shared_data: Path):
    clip = shared_data / "talking" / "web" / "liveportrait_d10.mp4"  # 15 s: still running when signalled
    out = tmp_path / "out"
    out.mkdir()
    p = _popen([*LIVE, "translate", str(clip), "-o", str(out / "o.mp4"), "--no-progress"], tmp_path)
    t_end = time.monotonic() + 60
    while not list(out.glob(".*partial*")) and p.poll() is None and time.monotonic() < t_end:
        time.sleep(0.05)
    assert list(out.glob(".*partial*")), "the translation never started writing"
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err[-2000:]
    assert last_line(err) == "error: stopped by SIGTERM; partial output files were removed.", err[-2000:]
    assert [x.name for x in out.iterdir()] == []


def test_rotated_phone_clip_is_written_upright(inputs, tmp_path: Path):
    from w2le_live.io import video

    out = tmp_path / "o.mp4"
    args = [*LIVE, "translate", str(inputs["rot90"]), "-o", str(out), "--intensity", "0", "--no-progress"]
    r = subprocess.run(
        [sys.executable, *args], env=_env({}, tmp_path), capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
    src, got = video.probe(DEMO), video.probe(out)
    assert (got.width, got.height, got.rotation) == (src.height, src.width, 0)
    first_in = next(video.iter_frames(DEMO))[2]
    first_out = next(video.iter_frames(out))[2]
    upright = np.rot90(first_in, k=-1)  # the display matrix turns the picture 90 degrees clockwise
    assert np.abs(first_out.astype(int) - upright.astype(int)).mean() < 4.0
    assert np.abs(first_out.astype(int) - np.rot90(first_in, k=1).astype(int)).mean() > 20.0


def test_ctrl_c_during_training_saves_and_says_how_to_resume(inputs, tmp_path: Path):
    src = tmp_path / "src" / "grid" / "neutral"
    src.mkdir(parents=True)
    (src / "demo.mp4").symlink_to(DEMO)
    prep = tmp_path / "prep"
    r = subprocess.run(
        [sys.executable, *TRAIN, "preprocess", str(tmp_path / "src"), "--out", str(prep), "--workers", "1"],
        env=_env({}, tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    run = tmp_path / "run"
    args = [
        *TRAIN,
        "syncnet",
        f"data={prep}",
        f"out={run}",
        "syncnet_width=0.25",
        "batch_size=2",
        "steps=100000",
        "save_every=1",
        "split=train",
    ]
    (prep / "splits.json").write_text(json.dumps({"train": ["grid"], "val": [], "test": []}))
    p = _popen(args, tmp_path)
    t_end = time.monotonic() + 120
    while not (run / "syncnet_latest.pt").exists() and p.poll() is None and time.monotonic() < t_end:
        time.sleep(0.1)  # the first step is saved: the training loop is running
    assert p.poll() is None, p.communicate()[1][-2000:]
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    line = last_line(err)
    assert p.returncode == 130, err[-2000:]
    m = re.search(r"stopped at step (\d+) and was saved to (\S+);", line)
    assert m and "--resume" in line and is_one_sentence(line[len("error: ") :]), line
    step = int(m.group(1))
    assert step >= 1 and Path(m.group(2)).is_file()
    from training.checkpointing import load_checkpoint

    assert load_checkpoint(m.group(2))["step"] == step
    r = subprocess.run(
        [sys.executable, *args, "--resume", "--max-steps", "1"],
        env=_env({}, tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert load_checkpoint(m.group(2))["step"] == step + 1
    assert not [x for x in run.iterdir() if x.name.startswith(".")]  # no temp files


def test_stale_temp_file_of_a_killed_save_is_removed(tmp_path: Path):
    import torch

    from training.checkpointing import save_checkpoint

    stale = tmp_path / ".generator_latest.pt.k1ll3d"
    stale.write_bytes(b"")  # what kill -9 during torch.save leaves
    save_checkpoint(tmp_path / "generator_latest.pt", {"model": {"w": torch.zeros(2)}, "step": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator_latest.pt"]


def test_verbose_keeps_native_logs_and_quiet_hides_them(tmp_path: Path):
    """The same run with and without --verbose: native lines appear only with it (so the table's check bites)."""
    got = {}
    for flag in ([], ["--verbose"]):
        out = tmp_path / f"o{len(flag)}.mp4"
        r = subprocess.run(
            [sys.executable, *LIVE, *flag, "translate", "--demo", "-o", str(out), "--no-progress"],
            env=_env({}, tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr[-2000:]
        got[bool(flag)] = r.stderr
    assert NATIVE_NOISE.search(got[True]), got[True][-2000:]
    assert not NATIVE_NOISE.search(got[False]) and last_line(got[False]).startswith("wrote ")
