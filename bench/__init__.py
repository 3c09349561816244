"""`nox -s bench`: how fast the flow is, measured side by side, as ratios.

Everything runs on loopback, bounded in count and time. `python -m bench --help` lists
the parts; the README's "Benchmarks" section says what each one measures.
"""
