"""`accessreview demo`: a whole quarterly review on embedded parts, end to end (top layer: it drives every service)."""
