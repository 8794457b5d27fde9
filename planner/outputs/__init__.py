"""What people and tools read: reports, the work list, hand-off files, publishing."""
