"""eventkit: the event-sourcing kernel of the relief platform.

Its guarantees are listed, with the test proving each, in libs/README.md.
"""
