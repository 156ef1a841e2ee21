"""Personal emotion: a per-person bank of the user's own expression, worn live over their face.

Enrolment tracks a short clip of the person showing an emotion, pose-normalises every frame, regresses the
expression's landmark offset (speech and blinks removed) and keeps a compact bank of face crops (plain cuts of the
camera frames); the ``personal`` translator warps the live face, triangle by triangle, onto the live geometry plus
the offset, and adds the cheeks and folds (and, where it fits, the mouth) of the best-matching bank frame.
"""
