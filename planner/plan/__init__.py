"""The plan file: its format, the builder from a placement and a schedule, the strict reader, and the board's money (`money`)."""
