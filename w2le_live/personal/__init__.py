"""Personal emotion: a per-person bank of the user's own expression, worn live over their face.

Enrolment tracks a short clip of the person showing an emotion, pose-normalises every frame, regresses the
expression's landmark offset (speech and blinks removed) and keeps a compact bank of pose-normalised face crops;
the ``personal`` translator retrieves the bank frame whose mouth matches the live one and warps it, triangle by
triangle, onto the live geometry plus the offset.
"""
