"""A simulated charge point fleet for demos, tests and benchmarks."""
