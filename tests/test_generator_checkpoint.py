"""Generator topology vs the original Wav2Lip checkpoints, and our checkpoint format's refusals."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from w2le_live.errors import CheckpointError
from w2le_live.models.checkpoint import ModelMeta, load_generator, read_meta, save_generator
from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

# The original Wav2Lip generator (models/wav2lip.py of Rudrabha/Wav2Lip), transcribed layer by layer as
# (module path, cin, cout, kernel, kind) — independent of our implementation. kind: c = Conv2d+BN block,
# t = ConvTranspose2d+BN block, p = plain nn.Conv2d.
_R = lambda p, c, n: [(f"{p}.{i}", c, c, 3, "c") for i in range(1, n + 1)]  # noqa: E731 - residual blocks
ORIGINAL_LAYERS = (
    [("face_encoder_blocks.0.0", 6, 16, 7, "c")]
    + [("face_encoder_blocks.1.0", 16, 32, 3, "c")] + _R("face_encoder_blocks.1", 32, 2)
    + [("face_encoder_blocks.2.0", 32, 64, 3, "c")] + _R("face_encoder_blocks.2", 64, 3)
    + [("face_encoder_blocks.3.0", 64, 128, 3, "c")] + _R("face_encoder_blocks.3", 128, 2)
    + [("face_encoder_blocks.4.0", 128, 256, 3, "c")] + _R("face_encoder_blocks.4", 256, 2)
    + [("face_encoder_blocks.5.0", 256, 512, 3, "c")] + _R("face_encoder_blocks.5", 512, 1)
    + [("face_encoder_blocks.6.0", 512, 512, 3, "c"), ("face_encoder_blocks.6.1", 512, 512, 1, "c")]
    + [("audio_encoder.0", 1, 32, 3, "c"), ("audio_encoder.1", 32, 32, 3, "c"), ("audio_encoder.2", 32, 32, 3, "c"),
       ("audio_encoder.3", 32, 64, 3, "c"), ("audio_encoder.4", 64, 64, 3, "c"), ("audio_encoder.5", 64, 64, 3, "c"),
       ("audio_encoder.6", 64, 128, 3, "c"), ("audio_encoder.7", 128, 128, 3, "c"), ("audio_encoder.8", 128, 128, 3, "c"),
       ("audio_encoder.9", 128, 256, 3, "c"), ("audio_encoder.10", 256, 256, 3, "c"),
       ("audio_encoder.11", 256, 512, 3, "c"), ("audio_encoder.12", 512, 512, 1, "c")]
    + [("face_decoder_blocks.0.0", 512, 512, 1, "c")]
    + [("face_decoder_blocks.1.0", 1024, 512, 3, "t")] + _R("face_decoder_blocks.1", 512, 1)
    + [("face_decoder_blocks.2.0", 1024, 512, 3, "t")] + _R("face_decoder_blocks.2", 512, 2)
    + [("face_decoder_blocks.3.0", 768, 384, 3, "t")] + _R("face_decoder_blocks.3", 384, 2)
    + [("face_decoder_blocks.4.0", 512, 256, 3, "t")] + _R("face_decoder_blocks.4", 256, 2)
    + [("face_decoder_blocks.5.0", 320, 128, 3, "t")] + _R("face_decoder_blocks.5", 128, 2)
    + [("face_decoder_blocks.6.0", 160, 64, 3, "t")] + _R("face_decoder_blocks.6", 64, 2)
    + [("output_block.0", 80, 32, 3, "c"), ("output_block.1", 32, 3, 1, "p")]
)  # fmt: skip


def original_state_dict() -> dict[str, torch.Tensor]:
    """A state dict with the original checkpoint's keys and shapes (random values)."""
    sd: dict[str, torch.Tensor] = {}
    g = torch.Generator().manual_seed(0)
    for path, cin, cout, k, kind in ORIGINAL_LAYERS:
        if kind == "p":
            sd[f"{path}.weight"] = torch.randn(cout, cin, k, k, generator=g) * 0.01
            sd[f"{path}.bias"] = torch.zeros(cout)
            continue
        shape = (cin, cout, k, k) if kind == "t" else (cout, cin, k, k)
        sd[f"{path}.conv_block.0.weight"] = torch.randn(*shape, generator=g) * 0.01
        sd[f"{path}.conv_block.0.bias"] = torch.zeros(cout)
        for name, val in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
            sd[f"{path}.conv_block.1.{name}"] = torch.full((cout,), val)
        sd[f"{path}.conv_block.1.num_batches_tracked"] = torch.tensor(0)
    return sd


def test_width1_matches_original_keys_and_shapes():
    ours = Wav2LipGenerator().state_dict()
    orig = original_state_dict()
    assert set(ours) == set(orig)
    for k, v in orig.items():
        assert tuple(ours[k].shape) == tuple(v.shape), k
    assert (
        sum(v.numel() for k, v in orig.items() if "running" not in k and "num_batches" not in k) == 36_298_035
    )


def test_original_checkpoint_layout_loads(tmp_path: Path):
    """Released files nest a DataParallel state dict: {'state_dict': {'module.<key>': ...}, 'optimizer': ...}."""
    sd = original_state_dict()
    path = tmp_path / "wav2lip_gan.pth"
    torch.save(
        {"state_dict": {f"module.{k}": v for k, v in sd.items()}, "global_step": 10, "global_epoch": 1}, path
    )
    model, meta = load_generator(path)
    assert meta.dims.width == 1.0 and meta.mask_mode == "half"
    assert torch.equal(
        model.state_dict()["audio_encoder.3.conv_block.0.weight"], sd["audio_encoder.3.conv_block.0.weight"]
    )
    out = model(torch.zeros(2, 1, 80, 16), torch.rand(2, 6, 96, 96))
    assert out.shape == (2, 3, 96, 96) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_roundtrip_with_meta(tmp_path: Path):
    m = Wav2LipGenerator(GeneratorDims(width=0.5))
    meta = ModelMeta(
        dims=m.dims, mask_mode="full", source_emotion="neutral", target_emotion="happy", alignment="causal"
    )
    path = save_generator(tmp_path / "g.safetensors", m, meta)
    m2, meta2 = load_generator(path)
    assert meta2 == meta and read_meta(path) == meta
    x = (torch.zeros(1, 1, 80, 16), torch.rand(1, 6, 96, 96))
    assert torch.allclose(m.eval()(*x), m2(*x))
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves no temp file


class _Payload:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running(tmp_path: Path):
    marker = tmp_path / "pwned"
    p = _Payload()
    p.marker = marker
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"state_dict": {"x": p}}, f)
    with pytest.raises(CheckpointError, match="could run code"):
        load_generator(path)
    assert not marker.exists()


def test_wrong_shape_names_the_tensor(tmp_path: Path):
    sd = original_state_dict()
    sd["face_decoder_blocks.3.conv_block.0.weight"] = torch.zeros(1)  # wrong key shape, not a real layer name
    sd["audio_encoder.5.conv_block.0.weight"] = torch.zeros(64, 64, 5, 5)
    path = tmp_path / "bad.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError, match=r"audio_encoder\.5\.conv_block\.0\.weight' has shape"):
        load_generator(path)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", None])
def test_missing_empty_corrupt(tmp_path: Path, content):
    path = tmp_path / "g.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError) as e:
        load_generator(path)
    msg = str(e.value)
    assert msg.count(".") >= 1 and "\n" not in msg and str(path) in msg


def test_not_a_generator(tmp_path: Path):
    path = tmp_path / "syncnet.pth"
    torch.save({"state_dict": {"face_encoder.0.conv_block.0.weight": torch.zeros(32, 15, 7, 7)}}, path)
    with pytest.raises(CheckpointError, match="not a Wav2Lip generator"):
        load_generator(path)
