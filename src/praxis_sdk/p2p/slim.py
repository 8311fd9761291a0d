"""Import py-libp2p without the transports, protocols and key types a Praxis node never uses.

`import libp2p` (0.8.1) runs every module of the library: QUIC (aioquic), TLS and AutoTLS
(requests, an ACME client), WebSocket, SECIO, pubsub, Kademlia, Bitswap, relays, UPnP,
mDNS (zeroconf), private networks (pycryptodome), persistent peerstores, and the RSA,
secp256k1 and ECDSA keys: about 1,350 modules and 26 MiB more than a node needs. A Praxis
host speaks TCP, Noise, yamux (mplex), identify and ping, with Ed25519 identities
(`host.py`, `identity.py`); mDNS loads when `p2p.enable_mdns` is set (`mdns.py`), and
multiaddr's DNS resolver (dnspython), which the swarm makes at start, at the first
`/dns*` address dialled.

py-libp2p has no switch for this: its package `__init__`, `basic_host`, `swarm` and
`custom_types` import those modules at the top. So while libp2p's package `__init__` runs
(the first `import libp2p...` after `praxis_sdk.p2p` was imported), a meta-path finder
serves each module named in `STAND_INS` instead of the real one: a module that holds
exactly the names libp2p imports from it. Each name defers to the real object: calling a
stand-in class or function (`new_host()` with its default TLS and SECIO transports, a
peer's RSA key through `from_bytes`) imports the real module then, and `isinstance` with
a stand-in class answers for the real one once it is loaded; exceptions are classes that
nothing raises, constants their real value. The stand-ins leave `sys.modules` once
libp2p is imported, so `import libp2p.transport.quic` loads the real module too.

The node's Noise runs on PyNaCl and hashlib (`noise_nacl.py`), so `cryptography` and
noiseprotocol's default backend (about 8.6 MiB) are stood in too, with two differences:
libp2p's X25519 key type (`libp2p.crypto.x25519`) defers to ours (`x25519.py`), not to the
real one, since `new_host` makes such a key each time (`isinstance` answers for the real
class too, once it is loaded); and our cipher raises the stand-in
`InvalidTag` that noiseprotocol's `NoiseConnection.decrypt` catches. (Stock py-libp2p Noise
used in a process that imported `praxis_sdk.p2p` first would raise `cryptography`'s own
`InvalidTag` for a tampered message where it raised noise's `NoiseInvalidMessage`; the node
does not use it.) A stand-in is not served under a package that is already loaded for real
(`cryptography` imported before libp2p).

Written against libp2p==0.8.1 (pyproject.toml pins it): `LIBP2P_VERSION`. The list names
each module libp2p 0.8.1 imports at `import libp2p` from the parts above, with the names
it takes; tests/unit/p2p/test_slim.py fails if the version, a module or a name moved.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

LIBP2P_VERSION = "0.8.1"
Maker = Callable[[str, str], Any]


def _is_stand_in(module: ModuleType | None) -> bool:
    return module is not None and isinstance(getattr(module, "__loader__", None), _StandIns)


def _real(module: str, name: str) -> Any:
    """The real object a stand-in names (its module imported now, if it is not yet)."""
    if _is_stand_in(sys.modules.get(module)):
        raise ImportError(f"{module}.{name} is used while libp2p is being imported "
                          f"(praxis_sdk/p2p/slim.py)")
    return getattr(importlib.import_module(module), name)


class _Deferred(type):
    """The type of a stand-in class: calling it, or reading an attribute it lacks
    (`from_bytes` of a key type), imports the real module and uses the real class;
    `isinstance` and `issubclass` answer for the real class once its module is loaded."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real(cls.__module__, cls.__name__)(*args, **kwargs)

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):  # typing and copy probe these: not a use of the class
            raise AttributeError(attr)
        return getattr(_real(cls.__module__, cls.__name__), attr)

    def __instancecheck__(cls, obj: Any) -> bool:
        return any(isinstance(obj, real) for real in _loaded(cls))

    def __subclasscheck__(cls, sub: type) -> bool:
        return any(issubclass(sub, real) for real in _loaded(cls))


def _loaded(cls: type) -> list[type]:
    """The real classes a stand-in class answers for, of those whose module is loaded: its
    own, and libp2p's too where the stand-in defers to ours (`_ours`: `real_module`)."""
    found = []
    for name in (cls.__module__, cls.__dict__.get("real_module")):
        module = sys.modules.get(name) if name else None
        if module is not None and not _is_stand_in(module):
            found.append(getattr(module, cls.__name__))
    return found


def _class(module: str, name: str) -> type:
    return _Deferred(name, (), {"__module__": module})


def _key(module: str, name: str) -> type:
    """A key class: libp2p keeps its `from_bytes` in a table at import."""

    def from_bytes(cls: type, data: bytes) -> Any:
        return _real(module, name).from_bytes(data)

    return _Deferred(name, (), {"__module__": module, "from_bytes": classmethod(from_bytes)})


def _function(module: str, name: str) -> Callable[..., Any]:
    def deferred(*args: Any, **kwargs: Any) -> Any:
        return _real(module, name)(*args, **kwargs)

    deferred.__name__ = deferred.__qualname__ = name
    deferred.__module__ = module
    return deferred


class _MadeOnUse:
    """A stand-in instance: the real object is made, with the arguments given here, at
    the first read of one of its attributes."""

    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._made: Any = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._make is not None:
            self._made, self._make = self._make(), None
        return getattr(self._made, attr)


class _DeferredInstances(_Deferred):
    """A stand-in class whose instances are `_MadeOnUse`: made for real when used."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _MadeOnUse(lambda: _real(cls.__module__, cls.__name__)(*args, **kwargs))


def _made_on_use(module: str, name: str) -> type:
    """A class libp2p makes an instance of at start and uses later, if ever."""
    return _DeferredInstances(name, (), {"__module__": module})


def _error(module: str, name: str) -> type:
    """An exception class that nothing raises (libp2p catches it in `except` clauses,
    which match by the class itself: an error of the real module, if someone loads it
    and uses QUIC, is not caught there)."""
    return type(name, (Exception,), {"__module__": module})


def _instance(module: str, name: str) -> _MadeOnUse:
    """A module-level object (noiseprotocol's default backend): the real one, taken from its
    module at the first read of one of its attributes."""
    return _MadeOnUse(lambda: _real(module, name))


OURS = "praxis_sdk.p2p.x25519"  # libp2p's X25519 key type on libsodium (noise_nacl.py)


def _ours(make: Maker) -> Maker:
    """Ours in place of the real one: `make`'s stand-in for the same name in `OURS`, which
    defers to our object (`OURS` imports libp2p, so it cannot load while libp2p does). A
    stand-in class answers `isinstance` for libp2p's real class as well, once that is
    loaded: stock code given a real key (a stock Noise transport) works as before."""

    def maker(module: str, name: str) -> Any:
        made = make(OURS, name)
        if isinstance(made, _Deferred):
            made.real_module = module  # type: ignore[attr-defined]
        return made

    maker.ours = make  # type: ignore[attr-defined]  # for tests/unit/p2p/test_slim.py
    return maker


def _text(value: str) -> Maker:
    return lambda module, name: value


def _package() -> dict[str, Maker]:
    return {}


# module -> the names libp2p 0.8.1 imports from it, with what stands in for each
STAND_INS: dict[str, dict[str, Maker]] = {
    # QUIC (aioquic): new_host/new_swarm only build it for /quic addresses or enable_quic
    "libp2p.transport.quic": _package(),
    "libp2p.transport.quic.config": {"QUICTransportConfig": _class},
    # (net_stream catches these two around every read and write)
    "libp2p.transport.quic.exceptions": {"QUICStreamClosedError": _error,
                                         "QUICStreamResetError": _error},
    "libp2p.transport.quic.stream": {"QUICStream": _class},
    "libp2p.transport.quic.transport": {"QUICTransport": _class},
    "libp2p.transport.quic.utils": {"is_quic_multiaddr": _function},
    # WebSocket (trio-websocket, websockets): only for /ws addresses
    "libp2p.transport.websocket": _package(),
    "libp2p.transport.websocket.transport": {"WebsocketTransport": _class},
    # TLS, AutoTLS (requests, ACME), SECIO: new_host's defaults when no sec_opt is given
    # (ours is Noise only: host.py)
    "libp2p.security.tls": _package(),
    "libp2p.security.tls.transport": {"PROTOCOL_ID": _text("/tls/1.0.0"),
                                      "TLSTransport": _class},
    "libp2p.security.tls.autotls": _package(),
    "libp2p.security.tls.autotls.acme": {"ACMEClient": _class,
                                         "compute_b36_peer_id": _function},
    "libp2p.security.tls.autotls.broker": {"BrokerClient": _class},
    "libp2p.security.secio": _package(),
    "libp2p.security.secio.transport": {"ID": _text("/secio/1.0.0"), "Transport": _class},
    # private networks (pycryptodome's Salsa20): only with a pre-shared key
    "libp2p.security.pnet": _package(),
    "libp2p.security.pnet.protector": {"new_protected_conn": _function},
    # pubsub: libp2p.abc and custom_types name its protobuf messages in type aliases
    "libp2p.pubsub": _package(),
    "libp2p.pubsub.pb": _package(),
    "libp2p.pubsub.pb.rpc_pb2": {"Message": _class, "RPC": _class},
    # circuit relay v2 (and through it Kademlia, Bitswap, records): AutoTLS's address choice
    "libp2p.relay": _package(),
    "libp2p.relay.circuit_v2": _package(),
    "libp2p.relay.circuit_v2.nat": {"is_private_ip": _function},
    # BasicHost's own discovery services, off unless asked for (ours: bootstrap.py, mdns.py)
    "libp2p.discovery.bootstrap": _package(),
    "libp2p.discovery.bootstrap.bootstrap": {"BootstrapDiscovery": _class},
    "libp2p.discovery.mdns": _package(),
    "libp2p.discovery.mdns.mdns": {"MDNSDiscovery": _class,
                                   "create_mdns_discovery": _function},
    "libp2p.discovery.upnp": _package(),
    "libp2p.discovery.upnp.upnp": {"UpnpManager": _class},
    # persistent peerstores (SQLite, LevelDB, RocksDB): re-exported by libp2p's __init__
    "libp2p.peer.persistent": {name: _function for name in (
        "create_async_leveldb_peerstore", "create_async_memory_peerstore",
        "create_async_peerstore", "create_async_rocksdb_peerstore",
        "create_async_sqlite_peerstore", "create_sync_leveldb_peerstore",
        "create_sync_memory_peerstore", "create_sync_peerstore",
        "create_sync_rocksdb_peerstore", "create_sync_sqlite_peerstore")},
    # key types we do not make (pycryptodome, coincurve): a peer's key loads them
    "libp2p.crypto.rsa": {"RSAPrivateKey": _key, "RSAPublicKey": _key,
                          "create_new_key_pair": _function},
    "libp2p.crypto.secp256k1": {"Secp256k1PrivateKey": _key, "Secp256k1PublicKey": _key},
    # cryptography (its Rust and OpenSSL extension, with noiseprotocol's default backend:
    # about 8.6 MiB): the node's Noise runs on PyNaCl and hashlib (noise_nacl.py). libp2p's
    # __init__ converts Ed25519 key files with these (`ed25519`, `serialization`); the Noise
    # pattern imports `serialization` and noiseprotocol's default `KeyPair`; basic_host reads
    # AutoTLS certificates (`x509`); noise.connection catches `InvalidTag` on decrypt (our
    # cipher raises the class it caught: noise_nacl.py), and takes the default backend as
    # the default of `from_name(backend=)` (we pass ours)
    "cryptography": _package(),
    "cryptography.exceptions": {"InvalidTag": _error},
    "cryptography.hazmat": _package(),
    "cryptography.hazmat.primitives": _package(),
    "cryptography.hazmat.primitives.asymmetric": _package(),
    "cryptography.hazmat.primitives.asymmetric.ed25519": {"Ed25519PrivateKey": _class},
    "cryptography.hazmat.primitives.serialization": {
        "Encoding": _class, "NoEncryption": _class, "PrivateFormat": _class,
        "PublicFormat": _class, "load_pem_private_key": _function},
    "cryptography.x509": {"DNSName": _class, "load_pem_x509_certificates": _function},
    "cryptography.x509.oid": {"ExtensionOID": _class},
    "noise.backends.default": {"noise_backend": _instance},
    "noise.backends.default.keypairs": {"KeyPair": _class},
    # libp2p's X25519 key type: ours (on libsodium: x25519.py), not the real one: new_host makes
    # a Noise key pair each time, even when given its transports, and the Noise pattern
    # checks `isinstance` against `X25519PublicKey`
    "libp2p.crypto.x25519": {"X25519PrivateKey": _ours(_key), "X25519PublicKey": _ours(_key),
                             "create_new_key_pair": _ours(_function)},
    # multiaddr's DNS resolver (dnspython, about 2.6 MiB): the swarm makes one at start and
    # the TCP transport one per `/dns*` address it dials; dnspython loads at the first
    # such dial, which resolves as before
    "multiaddr.resolvers": {"DNSResolver": _made_on_use},
}
# libp2p modules the node loads after start-up that import a stand-in: imported while the
# stand-ins are in place (swarm.py imports SwarmConn inside a function; net_stream imports
# the QUIC stream errors)
RUNTIME = ("libp2p.network.connection.swarm_connection", "libp2p.network.stream.net_stream")


def _under_a_real_package(fullname: str) -> bool:
    """Whether the nearest package above `fullname` that has a stand-in is loaded for real
    (cryptography imported before libp2p): its modules then import for real too."""
    parent = fullname.rpartition(".")[0]
    while parent:
        if parent in STAND_INS:
            module = sys.modules.get(parent)
            return module is not None and not _is_stand_in(module)
        parent = parent.rpartition(".")[0]
    return False


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules named in `STAND_INS`; any other module of theirs is not found."""

    served: list[str] = []  # the stand-ins made in this process, in order

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in STAND_INS or _under_a_real_package(fullname):
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__path__ = []  # an unlisted submodule is not found: a loud ImportError
        self.served.append(module.__name__)
        for name, make in STAND_INS[module.__name__].items():
            setattr(module, name, make(module.__name__, name))


@contextmanager
def stand_ins() -> Iterator[None]:
    """Within the block, the modules in `STAND_INS` import as stand-ins; afterwards they
    leave `sys.modules` (and their parent package), so the real ones import on demand."""
    finder = _StandIns()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in STAND_INS:
            module = sys.modules.get(name)
            if module is None or not _is_stand_in(module):
                continue
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if getattr(sys.modules.get(parent), child, None) is module:
                delattr(sys.modules[parent], child)


def _without_dns_over_quic() -> None:
    """dnspython loads aioquic for DNS-over-QUIC when it is installed (libp2p installs it);
    `/dns` addresses resolve over UDP and TCP. `force` is dnspython's documented switch."""
    import dns._features

    dns._features.force("doq", False)


class _Slimmed(importlib.abc.Loader):
    """libp2p's own loader, run with the stand-ins in place."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        _without_dns_over_quic()
        with stand_ins():
            self.loader.exec_module(module)
            for name in RUNTIME:
                importlib.import_module(name)


class _FirstImport(importlib.abc.MetaPathFinder):
    """Finds the `libp2p` package once, with `_Slimmed` as its loader, then steps aside."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "libp2p":
            return None
        uninstall()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Slimmed(spec.loader)
        return spec


_HOOK = _FirstImport()


def install() -> None:
    """Slim the first `import libp2p` of this process (nothing if libp2p is loaded)."""
    if "libp2p" not in sys.modules and _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def uninstall() -> None:
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
