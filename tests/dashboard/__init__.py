"""The dashboard's own tests: in-process against fakes, and against real processes."""
