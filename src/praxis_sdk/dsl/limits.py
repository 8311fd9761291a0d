"""Bounds on what one script may ask of the parser and the planner.

Every part of the DSL that nests (blocks in blocks, operators in a condition, JSON in a
JSON argument) stops at MAX_NESTING with a syntax error at the line and column where it
went deeper; a script holds at most `max_steps` CALL statements, so compiling and running
it stays bounded.
"""

DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_MAX_STEPS = 10_000
MAX_NESTING = 100
