"""`python -m praxis_sdk` is `praxis-agent`."""

from praxis_sdk.cli import main

main()
