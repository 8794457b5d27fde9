"""Reading a plan against its estate: the verifier, diffs and explanations."""
