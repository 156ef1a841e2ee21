"""The ``personal`` translator: the person's own enrolled expression, worn over the live face."""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

from w2le_live.face.landmarks import LIPS_INNER, LIPS_OUTER
from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator

# MediaPipe's lip landmarks (outer and inner contours)
LIP_POINTS = tuple(sorted(set(LIPS_OUTER) | set(LIPS_INNER)))
_LIP_INDEX = np.array(LIP_POINTS, np.intp)


class PersonalTranslator(Translator):
    """Retrieves the enrolled bank frame whose mouth matches the live one and warps it onto the live geometry
    plus the emotion's offset; lips, eyelids, eyeballs, head pose and identity stay the live ones.

    banks: emotion -> :class:`~w2le_live.personal.bank.EmotionBank` (or use :meth:`from_profile`).
    The offset of an emotion comes from its own neutral recording, else the profile's ``neutral`` bank, else
    the live face's first ``calib_frames`` frames (always so for the ``neutral`` target: the live face's
    current expression is what is undone).
    """

    name = "personal"
    needs_audio = False
    # face widths of inner-lip gap misfit: the bank's mouth below the first, the live one above the second
    mouth_fit = (0.004, 0.009)
    # the bank mouth's lip corners over the target's (either way): above the second the live mouth is drawn, until
    # it falls below the first. Inner-lip gaps can fit while the widths do not: W009 happy driven by her angry,
    # surprised and fearful clips chose smiles for her "oo"s (up to 2.1x the target's width) in 3-10 frames a clip,
    # drawn as a squeezed row of teeth with smeared lip ends; every other W009 case stays within 0.80-1.23
    mouth_squeeze = (1.3, 1.4)
    # where it is squeezed, the live mouth keeps its own shape too: the target geometry is moved back to the live
    # one by this share at the lips, falling off as a Gaussian of this many face widths from the lips' centre (no
    # fold in the warp), reached over this many frames (the geometry glides, two mouths are never blended). A
    # pursed "oo" stretched to a smile's corners drew a wide flat hole that a fresh tracker read at a median 0.87 of
    # the camera's opening, 0.69 at worst (W009 happy <- surprised, frames 74, 84-92); kept, 0.95 and 0.87. A person
    # saying "oo" while smiling purses the corners in too
    squeeze_keep = (1.0, 0.15, 2)
    upper_rate = 0.02  # per frame: how fast the live face's recent mean (the upper face's reference) follows
    # the larger of the emotion's and the neutral eye aperture over the live recent one: below the first, the lids
    # and whites come from the bank (a wide-eyed face asked for a calmer emotion: squeezing its lids leaves a
    # stare); above the second, live again
    narrow_eyes = (0.88, 0.93)
    # the same ratio, lower: below the first the bank's forehead and brows stay off (the live upper face, warped to
    # the emotion's brows) until it rises above the second. Measured per frame on W009 happy driven by surprised
    # (ratio 0.79-0.84), the target keeps the live gaze (0.976 with the driving clip) and the rendering lost it
    # (0.83), mostly to the bank's brow and lid-crease texture (0.90 without it; p(happy) 0.55 -> 0.54); driven by
    # fear (0.83-0.85) it gains less (0.85 -> 0.87) and costs p(happy) 0.62 -> 0.42, so it stays on there.
    # A neutral-driven face never narrows: its rows are unchanged.
    live_upper = (0.82, 0.84)
    # the emotion's eye aperture over the live one (per eye, the lids' ratio): from the first the eye is drawn
    # more and more from the bank (its open eye, lids at the target, the live iris where the live lids show it), fully
    # from the second, instead of the live eye stretched (render._wide_eyes). A stretched eye reads narrow: W009
    # neutral from sad (ratio 1.14-1.16) re-tracked 0.0687 face widths for a target of 0.0738; wholly the bank's eye
    # 0.0744, a quarter of it (as this ramp gives) 0.0704. Happy from angry (1.23-1.36): re-tracked gaze 0.89 ->
    # 0.94, but the bank's eye follows her small lid motions less (opening correlation 0.95 -> 0.82); a ramp
    # from 1.15 to 1.4 kept 0.88 there and left neutral from sad at 0.0688 (docs/personal/gaze.md)
    open_eyes = (1.1, 1.3)
    # the lids' ratio is clipped to 2 where the live eye is stretched (a 2.5x stretched eye does not look like an
    # eye); where the bank's eye is drawn it may reach this (a live reference left small by eyes shut for seconds
    # must not throw the lids to the brows when they open)
    open_lid_max = 3.0
    # the upper face's reference starts as a running mean (True) or as the first frame (False: a first frame with
    # raised brows leaves the brows lower for seconds; measured on W009, that accident makes angry and sad read
    # stronger, so it stays off until the emotions' own upper faces are strong enough without it)
    upper_running_start = False
    # the live eye aperture the lids are scaled against (the emotion's over it) starts as a running mean all the
    # same: from the first frame it kept a first, wider-eyed frame for seconds (W009 sad clip: first frame 0.068
    # face widths, its mean 0.058), and neutral asked of sad eyes opened them 1.07x, not the 1.19x between the clips
    lid_running_start = True
    # the lids move by the person's own amount about the emotion's opening (1), not by the lids' ratio times it (0;
    # geometry.apply_offset, lid_motion_ratio): held-out M030's sad squint asked for neutral (ratio ~2) narrowed
    # 1.47x as far as his, re-tracked; now 1.05x (W009, tuned on: gaze and openings unchanged; docs/personal/gaze.md,
    # lids19)
    lid_motion = 1.0
    lower_ref_rate = 0.005  # the same for the lower face's reference (slower: speech averages out)
    # the share of the live face's own lower-face expression undone, the face widths below which a point's
    # difference is left alone (a neutral face keeps the plain offset), and the frames over which it fades in
    lower_rate, lower_dead, lower_ramp = 0.75, 0.005, 50
    # frames of the tracker's smoothing lag given back to the lips' own vertical motion (about the mouth's centre):
    # the smoothed inner-lip opening trails the mouth's (correlation 0.973 with a fresh re-track on W009; 0.999
    # led by 0.5 frame), and the output's lips follow it (W009 neutral<-sad 0.942 -> 0.963); 0.7 adds flicker
    lip_lead = 0.5
    # the same lead across the face: the mouth's width trails a fresh re-track as its opening does (rms 0.0034-0.0040
    # face widths on W009's neutral and sad clips, 0.0006-0.0008 led by 0.5 frame; MEAD M030's 1080p angry take,
    # quick "oo"s, 0.0106 -> 0.0013), so a rounded "oo" arrived a frame late and wide. W009, output's re-tracked
    # width against the driving clip's, 0 -> 0.5: sad 0.871 -> 0.876, happy 0.914 -> 0.931, angry 0.944 -> 0.946,
    # surprised 0.945 -> 0.954, happy from angry 0.935 -> 0.947; lips within 0.002, flicker +0.2 %
    lip_lead_across = 0.5
    # frames of the tracker's lag given back to where the live eyes are sampled (geometry.lead_eyes): the smoothed
    # eye points trail the camera's by 0.55-0.62 frames of their motion (W009, against a fresh unsmoothed re-track).
    # A re-tracker reads the eyes against the bank's brows and creases (at the target: W009 re-tracked gaze,
    # sub-pixel-shift means, neutral<-sad 0.89 -> 0.93 at 0.6, moving surprised 0.89 -> 0.93) or, for happy from
    # angry, against the live skin around them (0.885 -> 0.872 at 0.6): 0.45 keeps most of the first (0.926, 0.923)
    # and loses nothing on the second (0.883)
    eye_lead = 0.45
    # frames running that must ask for the live inside (a part of it over a softer bank opening: render.inside_parts'
    # soft; or all of it) before such a part becomes all of it, held then until the live mouth shows no teeth
    # (RenderConfig.teeth_from, where the switch back cannot be seen). Each flip between the live teeth and the bank
    # frame's is a visible jump: W009 happy's 2-frame episode (frames 49-50) flipped at 2 raised its flicker 1.193 ->
    # 1.201 x the driving clip (test bar 1.2; held, 1.201), at 3 it stays as it was; M003 disgusted <- happy: each
    # frame alone 0.88 / 0 % < 0.5, at 2 held 0.94 / 2 %, at 3 held 0.86 / 3 % (the first two frames of an episode
    # stay cross-faded)
    soft_frames = 3
    # the bank layer blurred like a motion-blurred camera frame (motion_blur.py; docs/personal/wild.md "motion blur")
    blur_match = True
    # how far a head turned from the camera (face.landmarks.head_turn: the nose tip between the cheeks, 0 facing the
    # camera, 1 with the tip over the far cheek's edge) keeps the whole effect, and from where it is the camera's face
    # (a smoothstep between). Turned further, the far cheek, nose side and lip corner that the bank's frames show are
    # hidden, and the mesh folds over them. Two LRS3 speakers turning from the camera to profile (banks of their
    # frontal frames): clean to 0.83; from 0.95-1.1 marks beyond the silhouette at the far eye and lip corner, a pale
    # line at the lip corner, then white blobs on the nose and lips and lips in the background's colour (pose yaw
    # -25 degrees on one, -32 on the other: the angle alone does not say what is hidden); the LivePortrait d12
    # speaker reaches 0.64 (+-22 degrees), clean (docs/personal/turns.md). Frames turned past the fade are the
    # camera's, and are not recorded as the neutral face.
    turn_fade = (0.75, 0.95)
    # something in front of the mouth (a mug, a phone) of a colour the person's lower face never shows: the effect
    # steps aside until it is gone (personal/occlusion.py; docs/personal/occlusion.md)
    occlusion_guard = True
    # the bank's frames brought to the camera's exposure and white balance where they differ from the enrolment's
    # by more than an emotion's own shading does (personal/light.py; docs/personal/light.md)
    light_match = True
    # glasses with dark frames worn live but not in the take (or the other way round): the forehead, brows and eyes
    # stay the camera's, warped to the emotion's (personal/glasses.py; docs/personal/glasses.md)
    glasses_check = True

    def __init__(self, banks: Mapping[str, object], calib_frames: int = 25, profile_name: str = "",
                 render_cfg=None, retrieval_cfg=None):  # fmt: skip
        from w2le_live.personal.bank import RetrievalConfig
        from w2le_live.personal.render import RenderConfig, keep_freed_memory

        if not banks:
            raise ValueError("PersonalTranslator needs at least one enrolled emotion")
        keep_freed_memory()  # once per process: each frame's 1+ MB temporaries reused, not page-faulted in anew
        self.banks = dict(banks)
        self.emotions = tuple(sorted(self.banks))
        self.profile_name = profile_name
        self.calib_frames = calib_frames
        self.render_cfg = render_cfg or RenderConfig()
        self.retrieval_cfg = retrieval_cfg or RetrievalConfig()
        from w2le_live.personal.bank import Retriever

        # built now, not on an emotion's first frame: a bank's mouth textures take ~14 ms per 100 frames (W009's
        # 108-frame bank; a 20-s enrolment ~65 ms), a stall of one or two frames the first time the tray switches
        self._retrievers: dict = {e: Retriever(b, self.retrieval_cfg) for e, b in self.banks.items()}
        from w2le_live.personal.light import bank_light

        # each bank's face colour and its cheeks' (its enrolment's light), to bring to the camera's
        # (light.LightMatch): ~15 ms a bank
        self._bank_light = {e: bank_light(b.crops, b.crop_landmarks) for e, b in self.banks.items()}
        from w2le_live.personal.glasses import bank_rims

        # each bank's share of dark glasses' frames round the eyes (glasses.GlassesCheck)
        self._bank_rims = {e: bank_rims(b.crops, b.crop_landmarks) for e, b in self.banks.items()}
        self.reset()

    @classmethod
    def from_profile(cls, name: str, emotions: Optional[tuple[str, ...]] = None, **kw) -> PersonalTranslator:
        """Load a profile's banks (all, or ``emotions``); ProfileError in one sentence when unusable."""
        from w2le_live.personal.profiles import Profile

        prof = Profile(name)
        wanted = emotions or prof.emotions
        return cls({e: prof.load(e) for e in wanted}, profile_name=name, **kw)

    def reset(self) -> None:
        self._calib: list[np.ndarray] = []
        self._offsets: dict[str, np.ndarray] = {}
        self._calib_done = False
        self._upper: dict = {}
        self._mouth = 0.0
        self._squeezed = False
        self._kept = 0.0  # the share of the live mouth's shape kept (squeeze_keep), gliding
        self._lips: Optional[np.ndarray] = None
        self._eyes_prev: Optional[np.ndarray] = None
        self._narrow: dict[str, bool] = {}
        self._live_upper: dict[str, bool] = {}
        self._open = np.zeros(2, np.float32)
        self._soft = 0  # frames running that asked for the live inside (soft_frames)
        self._held = False
        from w2le_live.personal.motion_blur import LiveBlur

        self._blur = LiveBlur()  # the camera's sharpness against its own recent frames (motion blur)
        from w2le_live.personal.occlusion import MouthGuard

        self._guard = MouthGuard()  # the lower face's own colours, learnt from the first frames
        from w2le_live.personal.light import LightMatch

        self._light = LightMatch()  # the camera's light on the face, followed over frames
        from w2le_live.personal.glasses import GlassesCheck

        self._glasses = GlassesCheck()  # dark glasses' frames on the live face, read every few frames
        for r in self._retrievers.values():
            r.reset()

    def describe(self) -> str:
        who = f" '{self.profile_name}'" if self.profile_name else ""
        return f"personal{who} ({', '.join(self.emotions)})"

    def serving_label(self, target: str) -> str:
        label = super().serving_label(target)
        return f"{label} (paused: {self.left_alone})" if self.left_alone else label

    # -- offsets ---------------------------------------------------------------------------------------
    def offset(self, emotion: str) -> np.ndarray:
        """(478, 3) float32 regressed expression offset (face widths, normalised) of an emotion for this stream.

        Its source: the emotion's own neutral recording, else the profile's ``neutral`` bank, else the live face's
        first frames (always so for the ``neutral`` target: the live face's expression is what is undone). An
        offset fitted on the live face is kept once calibration is complete; until 3 frames are seen it is zero.
        """
        from w2le_live.personal import geometry as G

        if emotion in self._offsets:
            return self._offsets[emotion]
        bank = self.banks[emotion]
        final = True
        if not self.uses_calibration(emotion):
            off = bank.offset
            if off is None:
                off = G.expression_offset(bank.tracked, self.banks["neutral"].tracked)
        elif len(self._calib) >= 3:
            off = G.expression_offset(bank.tracked, G.normalise(np.stack(self._calib), bank.template))
            final = self._calib_done
        else:
            return np.zeros((478, 3), np.float32)  # not calibrated yet: the bank's texture on the live shape
        if final:
            self._offsets[emotion] = off
        return off

    def uses_calibration(self, target: str) -> bool:
        """Whether ``target``'s offset is fitted on the live face's first frames (see :meth:`offset`)."""
        if target not in self.banks:
            return False
        return target == "neutral" or (self.banks[target].offset is None and "neutral" not in self.banks)

    def calibrating(self, target: str) -> bool:
        return not self._calib_done and self.uses_calibration(target)

    def recording_neutral(self) -> Optional[bool]:
        return not self._calib_done

    def calibrate(self) -> None:
        """Record the live neutral face again from the next ``calib_frames`` frames (the tray's "Calibrate"): the
        offsets fitted on the live face are forgotten, those from the banks' own neutral recordings kept."""
        self._calib, self._calib_done = [], False
        self._offsets = {e: o for e, o in self._offsets.items() if not self.uses_calibration(e)}
        self._guard.reset()  # the lower face's colours learnt again too (the light may have changed)

    def _observe(self, lm: np.ndarray) -> None:
        if not self._calib_done:
            if self.turn_share(lm) < 1.0:
                return  # a face turned away is not the neutral face to record
            self._calib.append(lm.copy())
            self._calib_done = (
                len(self._calib) >= self.calib_frames
            )  # offset() caches a live fit only from here

    # -- per frame -------------------------------------------------------------------------------------
    def target_geometry(self, lm: np.ndarray, emotion: str, intensity: float):
        """(pose, target normalised (478, 3) float32, target frame px (478, 3) float32) for live lm (478, 3).
        See :meth:`_geometry`."""
        pose, _, tn, tp = self._geometry(lm, emotion, intensity)
        return pose, tn, tp

    def _geometry(self, lm: np.ndarray, emotion: str, intensity: float):
        """:meth:`target_geometry` plus the live landmarks normalised, (478, 3) float32: (pose, live, target
        normalised, target frame px).

        The live face's recent mean is its current expression: an exponential mean, ``upper_rate`` per frame for
        the upper face (from the first frame, see ``upper_running_start``), the slower ``lower_ref_rate`` for the
        lower, where speech must average out (a running mean over its first frames). The upper face (brows, lids)
        goes where the emotion's own mean puts it, plus the live movement around that recent mean (so a frown asked
        for happy goes, and raised brows and blinks stay live); the eye aperture scales by the emotion's over the
        live one (far wider live eyes: the bank's lids, see ``narrow_eyes``), the live lids moving about that
        opening by their own amount (``lid_motion``). The lower face: live + the regressed
        offset, with ``lower_rate`` of the live face's own expression undone (the emotion's mean minus the live
        recent mean, both taken at the same mouth opening, replaces that share of the offset where they differ by
        more than ``lower_dead``, fading in over ``lower_ramp`` frames while the reference settles), so a
        surprised, fearful or angry mouth asked for happy smiles more like a neutral one. Inner-lip openings stay
        the live ones.
        """
        from w2le_live.personal import geometry as G
        from w2le_live.personal.render import WIDE_EYES

        bank = self.banks[emotion]
        pose = G.pose_of(lm, bank.template)
        ln = pose.to_norm(lm)
        opening = float(G.mouth_opening(ln))
        lids = G.lid_apertures(ln)  # (2,) this frame's live apertures
        st = self._upper.get(emotion)
        if st is None:
            mean = bank.tracked.mean(0)
            slope, mean_open = G.opening_slope(bank.tracked)
            st = self._upper[emotion] = dict(mean=mean, ema=ln.copy(), w=G.upper_weight(bank.template),
                                              ap=G.lid_apertures(mean), n=1, slope=slope, mean_open=mean_open,
                                              lower=ln.copy(), open=opening, lid=lids.copy())  # fmt: skip
        else:
            st["n"] += 1
            rate = max(self.upper_rate, 1.0 / st["n"]) if self.upper_running_start else self.upper_rate
            st["ema"] += rate * (ln - st["ema"])
            rate = max(self.upper_rate, 1.0 / st["n"]) if self.lid_running_start else self.upper_rate
            st["lid"] += rate * (lids - st["lid"])
            rate = max(self.lower_ref_rate, 1.0 / st["n"])
            st["lower"] += rate * (ln - st["lower"])
            st["open"] += rate * (opening - st["open"])
        live_ap = np.maximum(G.lid_apertures(st["ema"]), 1e-3)
        lid_ref = np.maximum(st["lid"], 1e-3)
        ratio = st["ap"] / lid_ref
        off = self.offset(emotion)
        # wide-eyed: the live eyes far wider than both the emotion's and the person's neutral ones (an emotion
        # with narrower eyes than neutral, e.g. angry, keeps the live eyes with the lids moved)
        if st.get("calm_off") is not off:  # the same offset (kept once final): the same calm apertures
            st["calm"], st["calm_off"] = np.maximum(st["ap"], G.lid_apertures(st["mean"] - off)), off
        calm = st["calm"]
        lo, hi = self.narrow_eyes
        r = float(G.mean_along(calm / live_ap, 0))
        self._narrow[emotion] = r < lo or (r < hi and self._narrow.get(emotion, False))
        lo, hi = self.live_upper
        self._live_upper[emotion] = r < lo or (r < hi and self._live_upper.get(emotion, False))
        if self.lower_rate > 0 and emotion != "neutral":
            settle = min(1.0, st["n"] / max(self.lower_ramp, 1))  # the young reference is noisy: fade in
            off = G.undo_live_expression(off, st["mean"], st["lower"], st["slope"], st["mean_open"] - st["open"],
                                         self.lower_rate * settle, self.lower_dead / settle)  # fmt: skip
        # the bank's open eyes over narrower live ones (WIDE_EYES always take the bank's eyes; the narrow ones its
        # lids over wider live eyes): how much, per eye
        lo, hi = self.open_eyes
        grow = ratio ** np.float32(max(intensity, 0.0))
        self._open = np.clip((grow - lo) / max(hi - lo, 1e-6), 0.0, 1.0).astype(np.float32)
        bank_eyes = np.ones(2, np.float32) if emotion in WIDE_EYES else self._open
        if emotion in WIDE_EYES or self._narrow[emotion]:
            self._open = np.zeros(2, np.float32)
        lid_max = 2.0 + (self.open_lid_max - 2.0) * bank_eyes
        tn = G.apply_offset(ln, off, intensity, st["mean"] - st["ema"], st["w"], ratio, lid_max, lids / lid_ref,
                            self.lid_motion)  # fmt: skip
        return pose, ln, tn, pose.to_frame(tn)

    def _keep_live_mouth(self, lm: np.ndarray, tp: np.ndarray, squeezed: bool) -> np.ndarray:
        """tp (478, 2+) float32 target frame px moved back towards the live landmarks lm (same shape) around the
        mouth while a squeezed bank mouth is off (``squeeze_keep``); tp itself when nothing is kept."""
        from w2le_live.face.landmarks import face_width

        share, reach, frames = self.squeeze_keep
        goal = share if squeezed else 0.0
        step = 1.0 / max(int(frames), 1)
        self._kept = min(goal, self._kept + step) if goal > self._kept else max(goal, self._kept - step)
        if self._kept <= 0.0:
            return tp
        centre = lm[_LIP_INDEX, :2].mean(0)
        d = np.linalg.norm(lm[:, :2] - centre, axis=1) / max(float(face_width(lm)), 1e-6)
        w = (self._kept * np.exp(-((d / max(reach, 1e-6)) ** 2))).astype(np.float32)
        out = tp.copy()
        out[:, :2] += w[:, None] * (lm[:, :2] - tp[:, :2])
        return out

    def turn_share(self, lm: np.ndarray) -> float:
        """How much of the effect a face with landmarks lm (478, 2+) float32 keeps for its head turn
        (``turn_fade``): 1 facing the camera, 0 turned past the fade's end, a smoothstep between."""
        from w2le_live.face.landmarks import head_turn
        from w2le_live.live.ease import smoothstep

        lo, hi = self.turn_fade
        t = (abs(head_turn(lm)) - lo) / max(hi - lo, 1e-6)
        return 1.0 - smoothstep(t) if np.isfinite(t) else 1.0

    def _lead_lips(self, lm: np.ndarray) -> np.ndarray:
        """lm (478, 3) float32 live landmarks with the lips' motion about their centre, along the face's own vertical
        axis, extrapolated ``lip_lead`` frames ahead, and across it ``lip_lead_across`` frames: the tracker's
        smoothing lag undone on the opening and the width (a quick "oo"), the mouth's place left as tracked. A new
        array when changed."""
        from w2le_live.personal.geometry import mean_along

        if self.lip_lead <= 0 and self.lip_lead_across <= 0:
            return lm
        idx = _LIP_INDEX
        pts = lm[idx, :2]
        rel = pts - mean_along(pts, 0)
        prev, self._lips = self._lips, rel
        if prev is None or prev.shape != rel.shape:
            return lm
        ax = lm[263, :2] - lm[33, :2]
        down = np.array([-ax[1], ax[0]], np.float32) / max(float(np.linalg.norm(ax)), 1e-6)
        out = lm.copy()
        step = rel - prev
        out[idx, :2] += (np.float32(self.lip_lead) * (step @ down))[:, None] * down[None]
        if self.lip_lead_across > 0:
            across = np.array([down[1], -down[0]], np.float32)
            out[idx, :2] += (np.float32(self.lip_lead_across) * (step @ across))[:, None] * across[None]
        return out

    def _render(self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray],
                controls: Controls) -> np.ndarray:  # fmt: skip
        """frame: (H, W, 3) uint8 BGR; mel is ignored (the lips follow the live landmarks). The face/bypass
        guard and ``_observe`` run in ``Translator.translate``."""
        from w2le_live.personal import geometry as G
        from w2le_live.personal.bank import eye_roll, head_angles
        from w2le_live.personal.render import UPPER_FACE, WIDE_EYES, inside_parts, render

        lm = self._lead_lips(face.landmarks)
        emotion = controls.target
        ret = self._retrievers[emotion]  # every enrolled emotion's, built with the translator
        keep = self.turn_share(face.landmarks)
        if keep <= 0.0:
            self.left_alone = "head turned away"  # past what the bank's frames can show
        elif self.occlusion_guard:
            keep *= self._guard.share(frame, face.landmarks)
            if keep <= 0.0:
                self.left_alone = "mouth covered"
        if keep <= 0.0:  # the camera's frame
            self._eyes_prev = face.landmarks
            return frame
        k = float(min(controls.intensity, 1.5)) * keep
        if self.light_match:
            self._light.see(frame, face.landmarks)
        pose, ln, tn, tp = self._geometry(lm, emotion, k)
        # an in-plane tilt (beyond the enrolment's) is not a turn
        ret.live_angles = head_angles(pose.R, ret.undo_roll(float(eye_roll(lm))))
        opens = self._open if self._open.max() > 0 else None  # the bank's open eyes, this share of each
        bank_eyes = emotion in WIDE_EYES or self._narrow.get(emotion) or opens is not None
        upper = emotion in UPPER_FACE and not self._live_upper.get(emotion, False)
        if self.glasses_check:
            self._glasses.see(frame, face.landmarks)
            if self._glasses.differs(self._bank_rims[emotion]):  # the take's eyes and brows would erase them
                bank_eyes, upper, opens = False, False, None
        eyes = ret.choose_upper(tn) if bank_eyes else None
        # the bank mouth is chosen by the tracker's smoothed lips (the led ones, chosen by, switch more: flicker)
        key = tn if lm is face.landmarks else tn - (ln - pose.to_norm(face.landmarks))
        ret.see_mouth(frame, face.landmarks)  # the live mouth's texture: is the chosen bank mouth a smear?
        mouth, cheeks = ret.choose(key)
        prev, self._eyes_prev = self._eyes_prev, face.landmarks
        lead = None
        if prev is not None and self.eye_lead > 0:  # where the camera shows the eyes (the tracker trails it)
            lead = G.lead_eyes(lm, prev, self.eye_lead)
        # hysteresis, no fade: two different mouths are never blended (that is a ghost)
        lo, hi = self.mouth_fit
        self._mouth = 1.0 if ret.gap < lo else 0.0 if ret.gap > hi else self._mouth
        lo, hi = np.log(self.mouth_squeeze)
        s = ret.squeeze(mouth, tn)
        self._squeezed = s > hi or (s > lo and self._squeezed)
        if self._squeezed:  # a smile's lips squeezed into a rounded "oo" (or the reverse): the live mouth
            self._mouth = 0.0
        tp = self._keep_live_mouth(lm, tp, self._squeezed)
        if ret.smeared:  # a motion-blurred bank mouth (RetrievalConfig.smear): the live one
            self._mouth = 0.0
        # the live teeth over a softer bank opening: all of them, not a part, from the soft_frames-th frame running
        # that asks for the live inside, until the live mouth shows no teeth (see soft_frames)
        inside, soft, teeth = inside_parts(
            frame, lm, self.banks[emotion], cheeks, mouth, self._mouth, self.render_cfg, tp
        )
        full = min(self._mouth * self.render_cfg.live_inside, 1.0)
        self._soft = self._soft + 1 if soft or (full > 0 and inside >= full) else 0
        if soft and self._soft >= self.soft_frames:
            self._held = True
        elif teeth < self.render_cfg.teeth_from or full <= 0:
            self._held = False
        if self._held:
            inside = full
        colour, sides = self._bank_light[emotion] if self.light_match else (None, None)
        return render(frame, lm, tp, pose, self.banks[emotion], cheeks, upper, k,
                      self.render_cfg, eye_choice=eyes, mouth=self._mouth, mouth_choice=mouth,
                      live_eyes=lead, eye_open=opens, inside=inside,
                      blur=self._blur(frame, face.landmarks) if self.blur_match else None,
                      bank_gain=self._light.gain(colour), bank_tilt=self._light.tilt(sides))  # fmt: skip
