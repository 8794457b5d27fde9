"""Migration waves: the schedule of the moves, every wave rule kept."""
