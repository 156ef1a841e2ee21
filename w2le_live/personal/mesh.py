"""The triangle mesh over MediaPipe's 478 landmarks: the face tessellation plus the mouth and eye openings."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Inner-lip upper/lower pairs (left corner 78 -> right corner 308): the opening between them is the live one.
INNER_LIP_PAIRS = ((191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402), (310, 318),
                   (415, 324))  # fmt: skip
MOUTH_CORNERS_INNER = (78, 308)
# Eyelid upper/lower pairs per eye, with the eye corners (outer, inner).
LEFT_LID_PAIRS = ((246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155))
LEFT_EYE_ENDS = (33, 133)
RIGHT_LID_PAIRS = ((466, 249), (388, 390), (387, 373), (386, 374), (385, 380), (384, 381), (398, 382))
RIGHT_EYE_ENDS = (263, 362)
# each eye's contour (the opening's outline, corner to corner over the upper lid and back under the lower)
LEFT_EYE = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
RIGHT_EYE = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
IRIS = tuple(range(468, 478))


def _strip(ends: tuple[int, int], pairs: tuple[tuple[int, int], ...]) -> list[tuple[int, int, int]]:
    """Triangles filling the opening between an upper and a lower contour (corner, pairs..., corner)."""
    tris = [(ends[0], pairs[0][0], pairs[0][1])]
    for (u0, l0), (u1, l1) in zip(pairs[:-1], pairs[1:]):
        tris += [(u0, u1, l0), (u1, l1, l0)]
    tris.append((pairs[-1][0], ends[1], pairs[-1][1]))
    return tris


@lru_cache(maxsize=1)
def _tessellation() -> np.ndarray:
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    adj: dict[int, set[int]] = {}
    for a, b in FACEMESH_TESSELATION:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    tris = set()
    for a, b in FACEMESH_TESSELATION:
        for c in adj[a] & adj[b]:
            tris.add(tuple(sorted((a, b, c))))
    return np.array(sorted(tris), dtype=np.int32)


@lru_cache(maxsize=1)
def triangles() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, 3) int32 vertex indices of every triangle, and two (T,) bool flags: mouth-opening, eye-opening."""
    face = _tessellation()
    mouth = np.array(_strip(MOUTH_CORNERS_INNER, INNER_LIP_PAIRS), np.int32)
    eyes = np.array(_strip(LEFT_EYE_ENDS, LEFT_LID_PAIRS) + _strip(RIGHT_EYE_ENDS, RIGHT_LID_PAIRS), np.int32)
    tris = np.concatenate([face, mouth, eyes])
    is_mouth = np.zeros(len(tris), bool)
    is_mouth[len(face) : len(face) + len(mouth)] = True
    is_eye = np.zeros(len(tris), bool)
    is_eye[len(face) + len(mouth) :] = True
    return tris, is_mouth, is_eye
