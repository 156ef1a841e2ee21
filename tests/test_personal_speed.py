"""The personal renderer's speed work changes no pixel: a mesh map's row band is that band of the whole map, the
3-channel weighting equals numpy's broadcast, the boxed mouth/eye ramps equal the whole-image ones (to 1 ulp), the
per-component affines and the np.take coarse map equal their plain forms, the exact rasteriser (off by default)
gives each point its covering triangle, the threshold clamp equals numpy's minimum/maximum, the cached bank teeth
share equals its computation and the mouth frame's search box holds the whole-rect one; and a frame reuses freed
memory instead of page-faulting its temporaries in anew (counted, not timed: no flakiness)."""

from __future__ import annotations

import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def drive(shared_data):
    """W009's neutral clip placed large in a 640x480 frame (a ~290-px face), tracked, and a happy bank."""
    import cv2

    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_file

    mead = shared_data / "mead"
    neutral = mead / "W009_front_neutral_level1_001.mp4"
    if not neutral.is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    frames = []
    for i, (_, _, f) in enumerate(iter_frames(str(neutral))):
        if i >= 12:
            break
        big = np.zeros((480, 640, 3), np.uint8)
        big[:, 80:560] = cv2.resize(f, (480, 480), interpolation=cv2.INTER_LINEAR)
        frames.append(big)
    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25) for i, f in enumerate(frames)]
    bank = enroll_file("happy", str(mead / "W009_front_happy_level3_001.mp4"), neutral=str(neutral))
    return frames, faces, bank


def test_mesh_map_band_is_the_whole_maps_band(drive):
    from w2le_live.personal import render as R

    frames, faces, _ = drive
    live = faces[5].landmarks
    target = live.copy()
    target[:, 1] += 2.3  # any other geometry
    rect = R._render_rect(frames[5].shape, target, live)
    maps = R._MeshMaps(target, rect, 3)
    whole = maps.xy(live)
    h = whole.shape[0]
    w = whole.shape[1]
    assert np.array_equal(maps.xy(live, 0, h), whole)
    for r0, r1, c0, c1 in ((0, 40, 0, w), (11, 100, 5, 61), (h // 2, h, w // 3, w), (h - 7, h, 0, 9)):
        band = maps.xy(live, r0, r1, c0, c1)
        assert band.shape == (r1 - r0, c1 - c0, 2), (r0, r1, c0, c1)
        # the upsampling's weights are rounded at the box's own offsets: equal to float32 precision
        assert np.abs(band - whole[r0:r1, c0:c1]).max() < 1e-3, (r0, r1, c0, c1)
    mx, my = maps(live)
    assert np.array_equal(mx, whole[..., 0]) and np.array_equal(my, whole[..., 1])


def test_times_and_boxed_ramps_match_the_plain_forms():
    import cv2

    from w2le_live.personal import render as R

    rng = np.random.default_rng(3)
    x = rng.normal(0, 50, (37, 53, 3)).astype(np.float32)
    w = rng.random((37, 53)).astype(np.float32)
    assert np.array_equal(R._times(x, w), x * w[..., None])
    for r in (3, 9, 20):
        hull = np.zeros((90, 120), np.uint8)
        cv2.circle(hull, (70, 40), r, 1, -1)
        whole = R._smooth_ramp(cv2.distanceTransform(1 - hull, cv2.DIST_L2, 3) - np.float32(2.5), 6.0)
        np.testing.assert_allclose(R._outside_ramp(hull, 2.5, 6.0), whole, atol=1e-6)
    assert np.array_equal(R._outside_ramp(np.zeros((9, 9), np.uint8), 1.0, 2.0), np.ones((9, 9), np.float32))


_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from w2le_live.personal.render import keep_freed_memory
    assert keep_freed_memory()
y = np.ones((356, 294, 3), np.float32)  # a 290-px face's render rect, float
def chain():
    a = y + 1
    b = a * 2
    c = b - a
    return float((c + y)[0, 0, 0])
for _ in range(3):
    chain()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    chain()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the allocator setting is glibc's")
def test_freed_temporaries_are_reused_not_faulted_in_anew():
    """In a fresh process (the app with its banks loaded from disk has not yet freed a large block), glibc
    gives each freed 1.2-MB temporary back to the kernel and it faults in anew (~300 pages); not once set."""
    import os
    import subprocess
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))

    def faults(mode: str) -> float:
        res = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, env=env)
        assert res.returncode == 0, res.stderr
        return float(res.stdout.split()[-1])

    assert faults("default") > 500
    assert faults("keep") < 20


def test_affines_solve_each_triangle(drive):
    """The per-component affines equal a per-triangle solve (target -> source, 3 point pairs) to float32 precision
    on real landmarks; slivers and degenerate triangles move by their vertices' mean; ``target_frame`` reused for a
    second source gives the same as computing it anew."""
    from w2le_live.personal import warp as W
    from w2le_live.personal.mesh import triangles

    frames, faces, bank = drive
    tris = triangles()[0]
    target = faces[3].landmarks.astype(np.float32)
    frame = W.target_frame(target)
    checked_wild = 0
    for source in (bank.crop_landmarks[0], bank.crop_landmarks[-1], faces[9].landmarks.astype(np.float32)):
        aff = W.affines(target, source, frame)
        assert aff.shape == (len(tris), 2, 3) and aff.dtype == np.float32
        assert np.array_equal(aff, W.affines(target, source))
        p = target[tris, :2].astype(np.float64)  # (T, 3, 2)
        q = source[tris, :2].astype(np.float64)
        ph = np.concatenate([p, np.ones((len(tris), 3, 1))], 2)  # (T, 3, 3)
        det = np.linalg.det(ph)
        ok = np.abs(det) > 1e-3
        ref = np.zeros((len(tris), 2, 3))
        ref[ok] = np.linalg.solve(ph[ok], q[ok]).transpose(0, 2, 1)  # A @ [x y 1] = source
        gain = np.square(ref[:, :, :2]).sum((1, 2))
        plain = ok & (gain < (W.MAX_GAIN * 0.99) ** 2)
        err = np.abs(aff[plain] - ref[plain])
        assert err[:, :, :2].max() < 1e-3 and err[:, :, 2].max() < 0.05, err.max()
        wild = (np.abs(aff[:, :, :2] - np.eye(2)).sum((1, 2)) == 0) & ~plain
        move = q.mean(1) - p.mean(1)
        np.testing.assert_allclose(aff[wild, :, 2], move[wild], atol=1e-2)
        checked_wild += int(wild.sum())
    assert checked_wild > 0  # the sliver branch ran


def test_coarse_map_is_each_points_own_affine(drive):
    """``coarse_map`` (the affines gathered by ``np.take`` on the flat index) equals evaluating, at every coarse grid
    point, the affine of the triangle the index gives it; a box of it is that box of the whole."""
    from w2le_live.personal import render as R
    from w2le_live.personal import warp as W

    frames, faces, bank = drive
    target = faces[4].landmarks.astype(np.float32)
    source = bank.crop_landmarks[1]
    grid = W.make_grid(R._render_rect(frames[4].shape, target, target), 3)
    index = np.maximum(W.triangle_index(target, grid), 0)
    aff = W.affines(target, source)
    x, y = grid.coords()
    pts = np.stack(np.broadcast_arrays(x, y) + [np.ones(grid.shape, np.float32)], -1)  # (gh, gw, 3)
    ref = np.einsum("gqij,gqj->gqi", aff[index].astype(np.float64), pts.astype(np.float64))
    whole = W.coarse_map(index, aff, grid)
    assert whole.shape == (*grid.shape, 2) and whole.dtype == np.float32
    assert np.abs(whole - ref).max() < 1e-3
    assert len(np.unique(index)) > 300  # a real mesh, not one triangle
    g0, g1, q0, q1 = 5, grid.shape[0] - 3, 7, grid.shape[1] - 2
    assert np.array_equal(W.coarse_map(index, aff, grid, (g0, g1), (q0, q1)), whole[g0:g1, q0:q1])


def test_exact_index_is_each_points_covering_triangle(drive, monkeypatch):
    """``exact_index`` gives every covered coarse grid point a face triangle containing it (edges included,
    vertices in the same fixed point), the later triangle where two contain it (a brute-force test of every point
    against every triangle), then the mouth and eye openings over them as OpenCV draws them (every point they
    cover, and those their outlines touch); ``EXACT_INDEX`` switches ``triangle_index`` to it."""
    import cv2

    from w2le_live.personal import render as R
    from w2le_live.personal import warp as W
    from w2le_live.personal.mesh import triangles

    frames, faces, _ = drive
    tris, is_mouth, is_eye = triangles()
    opening = is_mouth | is_eye
    for i in (2, 7):
        target = faces[i].landmarks.astype(np.float32)
        grid = W.make_grid(R._render_rect(frames[i].shape, target, target), 3)
        gh, gw = grid.shape
        one = 1 << W.SHIFT
        local = (target[:, :2] - np.array([grid.x0, grid.y0], np.float32) + 0.5) / grid.step - 0.5
        v = np.round(local * one).astype(np.int64)[tris]  # (T, 3, 2)
        px = (np.arange(gw, dtype=np.int64) * one)[None, None, :]
        py = (np.arange(gh, dtype=np.int64) * one)[None, :, None]
        side = []
        for a, b in ((0, 1), (1, 2), (2, 0)):
            ex = (v[:, b, 0] - v[:, a, 0])[:, None, None]
            ey = (v[:, b, 1] - v[:, a, 1])[:, None, None]
            side.append(ex * (py - v[:, a, 1][:, None, None]) - ey * (px - v[:, a, 0][:, None, None]))
        side = np.stack(side)  # (3, T, gh, gw)
        covers = (side >= 0).all(0) | (side <= 0).all(0)  # (T, gh, gw)
        face = covers & ~opening[:, None, None]
        best = np.where(face, np.arange(len(tris))[:, None, None], -1).max(0)  # the later face triangle
        ref = best.astype(np.int32)
        for j in np.flatnonzero(opening):
            cv2.fillConvexPoly(ref, v[j].astype(np.int32), int(j), cv2.LINE_8, W.SHIFT)
        got = W.exact_index(target, grid)
        assert np.array_equal(got, W.fill_holes(ref))
        assert opening[got[covers[opening].any(0)]].all()  # a point an opening covers is an opening's
        assert (best >= 0).mean() > 0.6 and covers[opening].any()  # a real mesh, openings drawn
        monkeypatch.setattr(W, "EXACT_INDEX", True)
        assert np.array_equal(W.triangle_index(target, grid), got)
        monkeypatch.setattr(W, "EXACT_INDEX", False)
        assert not np.array_equal(W.triangle_index(target, grid), got)  # OpenCV's outlines claim neighbours


def test_clamp_equals_numpys_minimum_and_maximum():
    """``_clamp`` (cv2.threshold on contiguous 2-D+ float32 arrays, numpy otherwise) gives numpy's values, in
    place, on images, 3-channel images, views and 1-D arrays, values below 0, above hi and exactly at both."""
    from w2le_live.personal import render as R

    rng = np.random.default_rng(5)
    for shape in ((31, 47), (29, 33, 3), (77,)):
        a = rng.normal(0.5, 1.0, shape).astype(np.float32)
        a.flat[::5] = 0.0
        a.flat[1::7] = 1.0
        a.flat[2::11] = -0.0
        for arr in (a.copy(), a.copy()[..., ::2] if a.ndim > 1 else a.copy()[::2]):
            ref = np.maximum(np.minimum(arr, np.float32(1.0)), np.float32(0.0))
            got = R._clamp(arr, 1.0)
            assert got is arr
            assert np.array_equal(got, ref) and (got == 1.0).any() and (got == 0.0).any()
    big = rng.normal(128, 100, (20, 30, 3)).astype(np.float32)
    assert np.array_equal(R._clamp(big.copy(), 255.0), np.clip(big, 0, 255))


def test_bank_teeth_and_mouth_box_equal_the_plain_forms(drive):
    """The bank frame's teeth share, kept on the bank, equals ``_teeth`` for every frame and config asked; the
    mouth frame's search box holds every pixel of the rect where ``keep`` < 1 (the whole-rect search's box)."""
    import dataclasses

    from w2le_live.personal import geometry as G
    from w2le_live.personal import render as R

    frames, faces, bank = drive
    cfg = R.RenderConfig()
    other = dataclasses.replace(cfg, teeth_v=0.6)
    for j in (0, len(bank) // 2, len(bank) - 1):
        for c in (cfg, other, cfg):
            assert R._bank_teeth(bank, j, c) == R._teeth(bank.crops[j], bank.crop_landmarks[j], c)
    assert len(vars(bank)["_teeth_cache"]) == 6
    checked = 0
    for i in (1, 6, 11):
        target = faces[i].landmarks.astype(np.float32)
        rect = R._render_rect(frames[i].shape, target, target)
        fw = float(np.linalg.norm(target[234, :2] - target[454, :2]))
        keep = R.bank_weight(rect, target, G.pose_of(target, bank.template), True, fw, cfg)[2]
        rows, cols = np.flatnonzero((keep < 1).any(1)), np.flatnonzero((keep < 1).any(0))
        r0, r1, c0, c1 = R._mouth_box(R._MeshMaps(target, rect, cfg.step), cfg)
        assert r0 <= rows[0] and rows[-1] < r1 and c0 <= cols[0] and cols[-1] < c1
        checked += 1
    assert checked == 3


def test_triangle_index_reuses_its_polygons_across_orders(drive):
    """``triangle_index`` keeps one polygon buffer per draw order (its views handed to OpenCV frame after frame):
    grids that cut triangles off (another order) and back draw exactly what a fresh polygon per triangle draws."""
    import cv2

    from w2le_live.personal import render as R
    from w2le_live.personal import warp as W
    from w2le_live.personal.mesh import triangles

    frames, faces, _ = drive
    tris, is_mouth, is_eye = triangles()
    opening = is_mouth | is_eye

    def fresh(target, grid):
        local = (target[:, :2] - np.array([grid.x0, grid.y0], np.float32) + 0.5) / grid.step - 0.5
        pts = np.round(local[tris] * (1 << W.SHIFT)).astype(np.int32)
        gh, gw = grid.shape
        lo, hi = pts.min(1), pts.max(1)
        inside = (hi[:, 0] >= 0) & (hi[:, 1] >= 0) & (lo[:, 0] < gw << W.SHIFT) & (lo[:, 1] < gh << W.SHIFT)
        out = np.full(grid.shape, -1, np.int32)
        for j in [*np.flatnonzero(inside & ~opening), *np.flatnonzero(inside & opening)]:
            cv2.fillConvexPoly(out, pts[j].copy(), int(j), cv2.LINE_8, W.SHIFT)
        return W.fill_holes(out)

    drawn = set()
    for i in (3, 8):
        target = faces[i].landmarks.astype(np.float32)
        x0, y0, x1, y1 = R._render_rect(frames[i].shape, target, target)
        for rect in (
            (x0, y0, x1, y1),
            (x0, y0, (x0 + x1) // 2, y1),
            (x0, (y0 + y1) // 2, x1, y1),
            (x0, y0, x1, y1),
        ):
            grid = W.make_grid(rect, 3)
            assert np.array_equal(W.triangle_index(target, grid), fresh(target, grid))
            drawn.add(len(W._DRAW.last[0]))
    assert len(drawn) >= 3  # the order changed (whole face, left half, lower half)


def test_float_remap_is_the_8bit_remap_unrounded():
    """``warp.remap_float`` (the source made float32, OpenCV's faster float bicubic) gives the 8-bit remap's samples
    within its rounding (0.5 grey levels), clipped to [0, 255] as the 8-bit one saturates; with ``window`` (only the
    part of a large image the map reaches converted) it gives the same values as without, also where the map runs
    off the image's edges (replicated at the image's own border, not the window's); both map layouts."""
    import cv2

    from w2le_live.personal import warp as W

    rng = np.random.default_rng(11)
    img = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (0, 0), 0.8)
    img[100:140, 200:260] = 255  # a flat white block next to dark: bicubic overshoots there
    img[140:180, 200:260] = 0
    yy, xx = np.mgrid[0:120, 0:150].astype(np.float32)
    # inside the image; over its top-left edges; over its bottom-right ones
    for ox, oy in ((180.3, 80.6), (-20.4, -15.2), (560.7, 400.1)):
        mx = (0.83 * xx + 0.2 * yy + ox).astype(np.float32)
        my = (-0.2 * xx + 0.83 * yy + oy).astype(np.float32)
        ref = W.remap(img, (mx, my)).astype(np.float32)
        for maps in ((mx, my), np.dstack([mx, my])):
            plain = W.remap_float(img, maps)
            windowed = W.remap_float(img, maps, window=True)
            assert plain.dtype == np.float32 and plain.shape == ref.shape
            assert np.abs(plain - ref).max() <= 0.51
            assert np.abs(windowed - plain).max() <= 1e-3
            assert plain.min() >= 0.0 and plain.max() <= 255.0
        assert not np.array_equal(plain, ref)  # unrounded: it is not the 8-bit path under another name
    lin = W.remap_float(img, (mx, my), cubic=False)
    assert np.abs(lin - W.remap(img, (mx, my), cubic=False)).max() <= 0.51
    # a degenerate map (a NaN or inf sample) reads the whole image, as without the window, and raises nothing
    mx[3, 4], my[5, 5] = np.nan, np.inf
    for maps in ((mx, my), np.dstack([mx, my])):
        assert np.array_equal(W.remap_float(img, maps, window=True), W.remap_float(img, maps))


def test_render_rect_sides_grow_to_a_multiple_of_four_inside_the_frame():
    """``render._grow4`` grows [a, b) to a multiple-of-4 length (the quarter-size low-passes then take OpenCV's
    whole-scale area resize) by at most 3, keeping what it had, inside [0, n); to the right first, then left at the
    frame's far edge; unchanged where [0, n) is too short for it."""
    from w2le_live.personal import render as R

    for n in (17, 64, 480, 641):
        for a in range(0, n - 1, 7):
            for b in range(a + 1, n + 1, 5):
                lo, hi = R._grow4(a, b, n)
                assert 0 <= lo <= a and b <= hi <= n and (hi - lo) - (b - a) <= 3
                assert (hi - lo) % 4 == 0 or (lo == 0 and hi == n)
                assert lo == a or hi == n  # grown to the right first
    assert R._grow4(10, 23, 100) == (10, 26)
    assert R._grow4(90, 99, 100) == (88, 100)  # one to the right, two to the left
    assert R._grow4(0, 7, 7) == (0, 7)
