"""What every layer shares: errors and their exit codes, problems, untrusted text, atomic files, memory."""
