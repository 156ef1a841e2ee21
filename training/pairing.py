"""Source -> destination pairs for the L1 strategy: same actor, same utterance, frames matched by index.

MEAD performances of one sentence in two emotions are NOT time-aligned (different speeds and pauses); like the
paper, frames are matched by index. With full masks the destination video also gives the pose prior, which
hides most of the misalignment; with half masks the source gives it (see the paper, 3.3.6).
"""

from __future__ import annotations

from collections import defaultdict


def make_pairs(
    manifest: list[dict], source: str, target: str, actors: set[str] | None = None
) -> list[tuple[dict, dict]]:
    """(source row, destination row) per actor and utterance; falls back to any utterance of the same actor."""
    by = defaultdict(list)
    for r in manifest:
        if actors is None or r["actor"] in actors:
            by[(r["actor"], r["emotion"])].append(r)
    pairs = []
    for (actor, emo), rows in sorted(by.items()):
        if emo != source:
            continue
        dsts = by.get((actor, target), [])
        for s in rows:
            same = [d for d in dsts if d["utterance"] == s["utterance"]]
            for d in same or dsts[:1]:
                pairs.append((s, d))
    return pairs
