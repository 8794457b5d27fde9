"""The plan file: its format, the builder from a placement and a schedule, and the strict reader."""
