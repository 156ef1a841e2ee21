"""MediaPipe tracking on real faces, lock-on, no-face and edge cases, masks, and seamless paste-back."""

from __future__ import annotations

import numpy as np

from w2le_live.face import landmarks as L
from w2le_live.face.blend import paste_back
from w2le_live.face.masks import crop_face, face_oval_mask, full_mask, half_mask, landmarks_to_crop
from w2le_live.face.tracker import FaceTracker


def _img(shared_data, name):
    import cv2

    return cv2.imread(str(shared_data / "images" / name))


def test_single_face_box_covers_features(shared_data):
    img = _img(shared_data, "single_face.jpg")
    with FaceTracker(static_image_mode=True) as tr:
        f = tr.process_image(img)
    assert f is not None and f.landmarks.shape == (478, 3)
    x0, y0, x1, y1 = f.box
    assert x1 - x0 == y1 - y0  # square
    for idx in (L.MOUTH_LEFT, L.MOUTH_RIGHT, L.CHIN, 33, 263, 105, 334):
        x, y = f.landmarks[idx, :2]
        assert x0 < x < x1 and y0 < y < y1
    # the eyes are above the mouth, the chin below it: the mesh is on a real upright face
    assert f.landmarks[33, 1] < f.landmarks[L.UPPER_LIP_OUTER, 1] < f.landmarks[L.CHIN, 1]


def test_no_face_passes_through_and_is_counted(shared_data):
    img = _img(shared_data, "astronaut.png")[300:, 300:].copy()  # background and suit, no face
    with FaceTracker() as tr:
        assert tr.process(img, 0.0) is None
        assert tr.frames_no_face == 1 and tr.frames_with_face == 0


def test_lock_on_follows_the_same_face(shared_data):
    import cv2

    a = _img(shared_data, "single_face.jpg")
    frame1 = np.full((320, 640, 3), 128, np.uint8)
    frame1[10:310, 10:310] = cv2.resize(a, (300, 300))  # larger face on the left: chosen on entry
    frame1[70:250, 380:560] = cv2.resize(a, (180, 180))
    frame2 = np.full((320, 640, 3), 128, np.uint8)
    frame2[40:280, 40:280] = cv2.resize(a, (240, 240))  # the left person leans back...
    frame2[10:310, 330:630] = cv2.resize(a, (300, 300))  # ...and the right one is now the largest
    with FaceTracker() as tr:
        first = tr.process(frame1, 0.0)
        assert first is not None and first.n_faces == 2 and first.box[2] < 330
        later = tr.process(frame2, 0.04)
        assert later is not None and later.n_faces == 2
        assert later.face_id == first.face_id and later.box[2] < 330  # still the left person


def test_face_cut_by_edge_is_passed_through(shared_data):
    img = _img(shared_data, "single_face.jpg")
    with FaceTracker(static_image_mode=True) as tr:
        full = tr.process_image(img)
        x_mid = (full.box[0] + full.box[2]) // 2
        cut = img[:, x_mid:].copy()  # half the face outside the frame
        assert tr.process_image(cut) is None
        assert tr.frames_edge_cut + tr.frames_no_face >= 1


def test_smoothing_reduces_jitter_without_lag(shared_data):
    """Box centre jitter (std of the 2nd difference) drops; the smoothed path stays within a few px of the raw one."""
    from w2le_live.config import TrackerConfig
    from w2le_live.io.video import iter_frames

    raw, smooth = [], []
    clip = shared_data / "talking" / "web" / "retalking_2.mp4"
    with FaceTracker() as tr, FaceTracker(TrackerConfig(box_min_cutoff=1e6, landmark_min_cutoff=1e6)) as rt:
        for i, t, frame in iter_frames(clip):
            f, g = tr.process(frame, t), rt.process(frame, t)
            if f is not None and g is not None:
                smooth.append([(f.box[0] + f.box[2]) / 2, f.size])
                raw.append([(g.box[0] + g.box[2]) / 2, g.size])
            if i >= 75:
                break
    raw, smooth = np.array(raw, float), np.array(smooth, float)
    jit_raw = np.diff(raw, 2, axis=0).std(axis=0)
    jit_smooth = np.diff(smooth, 2, axis=0).std(axis=0)
    assert (jit_smooth < 0.7 * jit_raw).all(), (jit_raw, jit_smooth)
    assert np.abs(smooth - raw).mean() < 0.05 * raw[:, 1].mean()


def test_masks_geometry(shared_data):
    img = _img(shared_data, "single_face.jpg")
    with FaceTracker(static_image_mode=True) as tr:
        f = tr.process_image(img)
    crop, aff = crop_face(img, f.box)
    assert crop.shape == (96, 96, 3)
    h = half_mask()
    assert h[:48].sum() == 0 and h[48:].min() == 1
    lm = landmarks_to_crop(f.landmarks, aff)
    fm = full_mask(lm)
    assert fm[int(lm[L.NOSE_TIP, 1]), int(lm[L.NOSE_TIP, 0])] == 1  # nose inside
    assert fm[0, 0] == 0 and fm[0, 95] == 0  # crop corners outside the face
    assert 0.3 < fm.mean() < 0.9


def test_paste_back_untouched_outside_and_seamless(shared_data, tmp_path):
    import cv2

    img = _img(shared_data, "single_face.jpg")
    with FaceTracker(static_image_mode=True) as tr:
        f = tr.process_image(img)
    mask = face_oval_mask(img.shape, f.landmarks)
    crop, _ = crop_face(img, f.box)
    generated = cv2.GaussianBlur(crop, (0, 0), 2)
    generated[:, :, 2] = np.clip(generated[:, :, 2].astype(int) + 40, 0, 255)  # visibly different
    out = paste_back(img, generated, f.box, mask, intensity=1.0)
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert np.abs(out.astype(int) - img.astype(int))[mask == 1].mean() > 2  # the face did change
    # no seam: along the mask border the change is tiny, it ramps up inside
    diff = np.abs(out.astype(int) - img.astype(int)).sum(axis=2)
    border = cv2.dilate(mask, np.ones((3, 3), np.uint8)) - cv2.erode(mask, np.ones((3, 3), np.uint8))
    assert diff[border == 1].mean() < 6
    cv2.imwrite(str(tmp_path / "blend.png"), np.hstack([img, out]))
    half = paste_back(img, generated, f.box, mask, intensity=0.5)
    d_half = np.abs(half.astype(int) - img.astype(int))[mask == 1].mean()
    d_full = np.abs(out.astype(int) - img.astype(int))[mask == 1].mean()
    assert 0.3 * d_full < d_half < 0.7 * d_full
    assert np.array_equal(paste_back(img, generated, f.box, mask, intensity=0.0), img)


def test_paste_back_box_partly_outside_frame():
    frame = np.full((100, 100, 3), 50, np.uint8)
    mask = np.zeros((100, 100), np.uint8)
    mask[:60, :60] = 1
    gen = np.full((96, 96, 3), 200, np.uint8)
    out = paste_back(frame, gen, (-40, -40, 60, 60), mask, color_match=False)
    assert (
        out.shape == frame.shape and out[20, 20, 0] > 100 and np.array_equal(out[80:, 80:], frame[80:, 80:])
    )


def test_paste_back_pastes_the_mouth_whole_or_not_at_all_below_full_intensity(shared_data):
    """``whole`` (the neural translator's mouth): at intensity 0.3 the mouth is the camera's and at 0.7 the generated
    one, each exactly, while the rest of the face fades with the intensity (two mouths at once are a ghost)."""
    import cv2

    from w2le_live.face.masks import mouth_mask

    img = _img(shared_data, "single_face.jpg")
    with FaceTracker(static_image_mode=True) as tr:
        f = tr.process_image(img)
    mask = face_oval_mask(img.shape, f.landmarks)
    crop, _ = crop_face(img, f.box)
    generated = np.clip(crop.astype(int) + 60, 0, 255).astype(np.uint8)  # visibly different everywhere
    mouth = mouth_mask(img.shape, f.landmarks)
    assert 0 < mouth.sum() < 0.3 * mask.sum() and not np.any(mouth & (1 - mask))
    side = f.box[2] - f.box[0]  # past the part's own feather (a quarter of the face's, 0.12 of the box side)
    inner = cv2.distanceTransform(mouth, cv2.DIST_L2, 5) > 0.25 * 0.12 * side + 1
    assert inner.sum() > 100
    full = paste_back(img, generated, f.box, mask, intensity=1.0, color_match=False)
    for k in (0.3, 0.7):
        plain = paste_back(img, generated, f.box, mask, intensity=k, color_match=False)
        out = paste_back(img, generated, f.box, mask, intensity=k, color_match=False, whole=mouth)
        assert np.abs(out.astype(int) - (img if k < 0.5 else full).astype(int))[inner].max() <= 1, k
        assert np.abs(plain.astype(int) - img.astype(int))[inner].mean() > 10  # faded: neither mouth
        away = (mask > 0) & (cv2.dilate(mouth, np.ones((25, 25), np.uint8)) == 0)
        assert np.array_equal(out[away], plain[away])  # the rest fades as before
        assert np.array_equal(out[mask == 0], img[mask == 0])
    whole_full = paste_back(img, generated, f.box, mask, intensity=1.0, color_match=False, whole=mouth)
    assert np.array_equal(whole_full, full)
