"""P2P: the libp2p node (own trio thread), Praxis protocols, discovery and peer tools.

Import `praxis_sdk.p2p.service.P2PService` from the agent; nothing here runs on import,
except that the first `import libp2p` after this leaves out what a node never uses
(`slim.py`).
"""

from praxis_sdk.p2p import slim

slim.install()
