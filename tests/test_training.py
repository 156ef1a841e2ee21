"""Training on real clips, on CPU: preprocessing, splits, the trainers learn, resume is exact, DDP ranks agree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from training.config import TrainConfig, load_config


@pytest.fixture(scope="module")
def prep_src(shared_data, tmp_path_factory) -> tuple[Path, Path]:
    """Preprocessed MEAD front clips (two actors; neutral, happy, sad) plus LRS3 clips with audio, plain layout."""
    from training.preprocess import preprocess

    src = tmp_path_factory.mktemp("plain")
    for actor in ("W009", "M030"):
        for emo in ("neutral", "happy", "sad"):
            d = src / actor / emo
            d.mkdir(parents=True)
            lv = 1 if emo == "neutral" else 3
            (d / "001.mp4").symlink_to(shared_data / "mead" / f"{actor}_front_{emo}_level{lv}_001.mp4")
    (src / "lrs3" / "neutral").mkdir(parents=True)
    for f in sorted((shared_data / "talking" / "lrs3").glob("*.mp4")):
        (src / "lrs3" / "neutral" / f.name).symlink_to(f)
    (src / "W009" / "neutral" / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path_factory.mktemp("prep")
    preprocess(src, out, workers=1, progress=False)
    # three identities are too few for a 37/5/5 split: train on the MEAD actors, keep LRS3 apart
    (out / "splits.json").write_text(json.dumps({"train": ["M030", "W009"], "val": ["lrs3"], "test": []}))
    return src, out


@pytest.fixture(scope="module")
def prep(prep_src) -> Path:
    return prep_src[1]


def test_preprocess_manifest_resume_and_corrupt_clip(prep_src):
    from training.preprocess import preprocess, read_manifest

    src, prep = prep_src
    rows = read_manifest(prep)
    assert len(rows) == 9  # 6 MEAD + 3 LRS3; the broken file was logged and skipped
    r = next(r for r in rows if r["actor"] == "W009" and r["emotion"] == "happy")
    frames = np.load(prep / r["dir"] / "frames.npy")
    masks = np.load(prep / r["dir"] / "masks.npy")
    assert (
        frames.shape[1:] == (96, 96, 3) and frames.dtype == np.uint8 and abs(len(frames) - r["frames"]) == 0
    )
    assert masks.shape == frames.shape[:3] and 0.3 < masks.mean() < 0.9  # full-face hull
    lr = next(r for r in rows if r["actor"] == "lrs3")
    assert lr["has_audio"] and np.load(prep / lr["dir"] / "mel.npy").shape[0] == 80
    before = (prep / r["dir"] / "frames.npy").stat().st_mtime_ns
    preprocess(
        prep.parent / "nonexistent", prep, workers=1, progress=False
    )  # nothing new: manifest rewritten empty
    assert (prep / r["dir"] / "frames.npy").stat().st_mtime_ns == before


def test_actor_splits_do_not_leak():
    from training.splits import split_actors

    actors = [f"A{i:02d}" for i in range(47)] * 3
    s = split_actors(actors, seed=1)
    assert (len(s["train"]), len(s["val"]), len(s["test"])) == (37, 5, 5)
    assert not (
        set(s["train"]) & set(s["val"]) or set(s["train"]) & set(s["test"]) or set(s["val"]) & set(s["test"])
    )
    assert s == split_actors(list(reversed(actors)), seed=1) and s != split_actors(actors, seed=2)


def test_config_file_and_overrides(tmp_path):
    from w2le_live.errors import UserError

    f = tmp_path / "c.json"
    f.write_text('{"width": 0.5, "mask": "full"}')
    cfg = load_config(f, ["lr=3e-4", "amp=false", "s_e=0.5"])
    assert (cfg.width, cfg.mask, cfg.lr, cfg.amp) == (0.5, "full", 3e-4, False)
    assert cfg.weights() == (0.8, 0.03, 0.07, 0.5)
    assert load_config(None, ["strategy=emotion"]).weights() == (0.6, 0.03, 0.07, 0.3)
    with pytest.raises(UserError, match="unknown config key"):
        load_config(None, ["learning_rate=1"])


def _cfg(prep, out, **kw) -> TrainConfig:
    base = dict(data=str(prep), out=str(out), width=0.25, disc_width=0.25, batch_size=4, lr=1e-3, save_every=5,
                log_every=5, sample_every=1000, split="train", amp=False)  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


def test_generator_loss_goes_down(prep, tmp_path):
    from training.datasets import PairDataset
    from training.preprocess import read_manifest
    from training.train_generator import train

    torch.set_num_threads(2)
    got = {}
    hist = train(
        _cfg(prep, tmp_path, strategy="l1", s_g=0.0, steps=24), on_end=lambda g: got.setdefault("g", g)
    )
    l1 = [h["l1"] for h in hist]
    assert np.mean(l1[-5:]) < 0.8 * np.mean(l1[:5])
    # the MEAD clips here are silent: eval mode (BatchNorm running stats) must still give what training saw
    ds = PairDataset(prep, read_manifest(prep), "neutral", "happy", "half", "l1+emotion", 5, {"M030", "W009"})
    b = {k: torch.from_numpy(v) for k, v in ds.batch(np.random.default_rng(7), 4).items()}
    with torch.no_grad():
        ev = float((got["g"].eval()(b["mels"], b["faces"]) - b["target"]).abs().mean())
    assert ev < 1.5 * np.mean(l1[-5:]) + 0.02, (ev, np.mean(l1[-5:]))
    assert (tmp_path / "generator_latest.pt").exists() and (tmp_path / "tb").is_dir()


def test_resume_continues_exactly(prep, tmp_path):
    from training.train_generator import train

    got = {}
    train(
        _cfg(prep, tmp_path / "a", strategy="l1", s_g=0.0, steps=6, save_every=3),
        on_end=lambda g: got.setdefault("a", g.state_dict()),
    )
    train(
        _cfg(prep, tmp_path / "b", strategy="l1", s_g=0.0, steps=6, save_every=3), max_steps=3
    )  # "killed" after 3
    hist = train(_cfg(prep, tmp_path / "b", strategy="l1", s_g=0.0, steps=6, save_every=3), resume=True,
                 on_end=lambda g: got.setdefault("b", g.state_dict()))  # fmt: skip
    assert [h["step"] for h in hist] == [4, 5, 6]
    for k, v in got["a"].items():
        assert torch.equal(v, got["b"][k]), k


def test_emotion_objective_alone_raises_destination_probability(prep, tmp_path):
    """Only s_e: the frozen classifier's p[sad] on the generated training frames goes up."""
    from training.datasets import PairDataset
    from training.preprocess import read_manifest
    from training.train_generator import train
    from w2le_live.models.emotion import FER_LABELS, load_fer_classifier, preprocess_faces

    cfg = _cfg(
        prep,
        tmp_path,
        target_emotion="sad",
        strategy="l1+emotion",
        s_r=0.0,
        s_w=0.0,
        s_g=0.0,
        s_e=1.0,
        steps=40,
        lr=2e-3,
    )
    ds = PairDataset(prep, read_manifest(prep), "neutral", "sad", "half", "l1+emotion", 5, {"M030"})
    b = {k: torch.from_numpy(v) for k, v in ds.batch(np.random.default_rng(123), 6).items()}
    fer = load_fer_classifier()
    idx = FER_LABELS.index("sad")

    def p_sad(gen) -> float:
        with torch.no_grad():
            g = gen.eval()(b["mels"], b["faces"])[:, :, 0]
            return float(torch.softmax(fer(preprocess_faces(g)), 1)[:, idx].mean())

    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    torch.manual_seed(cfg.seed)
    before = p_sad(Wav2LipGenerator(GeneratorDims(width=0.25)))
    after = {}
    train(cfg, on_end=lambda g: after.setdefault("p", p_sad(g)))
    # 15 steps gave 0.014 -> 0.055 on an AMD EPYC (AVX-512) and far more elsewhere: the trajectory depends on the
    # CPU's arithmetic. 40 steps (0.014 -> 0.997 on this Intel machine) and a criterion with headroom (at least
    # doubled, by at least 0.02) hold on any x86 CPU.
    assert after["p"] > max(2 * before, before + 0.02), (before, after["p"])


def test_syncnet_trains_and_feeds_the_generator(prep, tmp_path):
    import torch.nn.functional as F

    from training.datasets import SyncDataset
    from training.preprocess import read_manifest
    from training.syncnet import SyncNet, sync_probability
    from training.train_generator import train
    from training.train_syncnet import train as train_sync

    ds = SyncDataset(prep, read_manifest(prep))
    b = {k: torch.from_numpy(v) for k, v in ds.batch(np.random.default_rng(0), 8).items()}
    torch.manual_seed(0)
    net = SyncNet(0.25)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for _ in range(25):
        loss = F.binary_cross_entropy(sync_probability(*net(b["mel"], b["faces"])), b["label"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]
    hist = train_sync(_cfg(prep, tmp_path, syncnet_width=0.25, steps=3, split="val"))
    assert len(hist) == 3 and (tmp_path / "syncnet_latest.pt").exists()
    g = train(_cfg(prep, tmp_path / "g", syncnet_checkpoint=str(tmp_path / "syncnet_latest.pt"), steps=2))
    assert "sync" in g[-1] and np.isfinite(g[-1]["sync"]) and "gan" in g[-1] and "emotion" in g[-1]


def _ddp_worker(rank: int, prep: str, out: str, port: int, result: str) -> None:
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    from training.train_generator import train

    cfg = TrainConfig(
        data=prep,
        out=out,
        width=0.25,
        batch_size=2,
        lr=1e-3,
        steps=3,
        strategy="l1",
        s_g=0.0,
        amp=False,
        split="train",
    )
    train(cfg, on_end=lambda g: torch.save(g.state_dict(), f"{result}.{rank}"))
    import torch.distributed as dist

    dist.destroy_process_group()


def test_ddp_two_ranks_hold_identical_weights(prep, tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = str(tmp_path / "w")
    mp.spawn(_ddp_worker, args=(str(prep), str(tmp_path / "run"), port, result), nprocs=2, join=True)
    a, b = torch.load(f"{result}.0"), torch.load(f"{result}.1")
    # weights (parameters) are identical; BatchNorm running statistics are per-rank buffers (rank 0's are saved)
    params = [k for k in a if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert len(params) > 100 and all(torch.equal(a[k], b[k]) for k in params)
    init = __import__("w2le_live.models.generator", fromlist=["x"]).Wav2LipGenerator(
        __import__("w2le_live.models.generator", fromlist=["x"]).GeneratorDims(width=0.25)).state_dict()  # fmt: skip
    assert any(not torch.equal(a[k], init[k]) for k in a if "weight" in k)  # they did train


def test_causal_alignment_trains_exports_and_runs(prep, tmp_path):
    """alignment=causal reaches the dataset's mel windows (the runtime's audio/windows code), the exported
    checkpoint says so, and the runtime translator then asks for causal windows."""
    from training.datasets import PairDataset
    from training.preprocess import read_manifest
    from training.train_generator import export, train
    from w2le_live.audio.windows import mel_window_for_frame
    from w2le_live.translators.neural import NeuralTranslator

    torch.set_num_threads(2)
    rows = read_manifest(prep)
    ds = {a: PairDataset(prep, rows, "neutral", "happy", "half", "l1", 5, {"M030", "W009"}, alignment=a)
          for a in ("wav2lip", "causal")}  # fmt: skip
    samples = {a: d.sample(np.random.default_rng(3)) for a, d in ds.items()}
    assert not np.array_equal(samples["wav2lip"]["mels"], samples["causal"]["mels"])  # the alignment matters
    row = next(r for r in rows if r.get("has_audio"))
    mel = np.load(prep / row["dir"] / "mel.npy")
    assert np.array_equal(ds["causal"]._mel(mel, 40), mel_window_for_frame(mel, 40, alignment="causal"))
    assert np.array_equal(mel_window_for_frame(mel, 40, alignment="causal"), mel[:, 112:128])  # [t-200ms, t)
    train(_cfg(prep, tmp_path, strategy="l1", s_g=0.0, steps=2, alignment="causal"))
    out = export(tmp_path / "generator_latest.pt", tmp_path / "causal.safetensors")
    assert NeuralTranslator(str(out), backend="torch").alignment == "causal"
