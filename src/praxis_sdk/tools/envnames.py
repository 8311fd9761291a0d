"""Environment variable names a tool's arguments may never take: one deny-list.

Arguments reach a tool as environment variables under their own name and upper-cased.
A name the dynamic loader, a shell or an interpreter reads at start-up would let a
caller change what runs (`LD_PRELOAD`, `PATH`, `BASH_ENV`, `PYTHONPATH`, ...), so a
contract declaring such a parameter is refused when it loads, and `tool_environment`
refuses one again at run time.
"""

from __future__ import annotations

RESERVED_NAMES = frozenset({
    # the agent's own variable
    "PRAXIS_ARGS",
    # process basics
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "TMPDIR", "TEMP", "TMP",
    # shells
    "ENV", "BASH_ENV", "IFS", "CDPATH", "PS1", "PS2", "PS4", "PROMPT_COMMAND", "SHELLOPTS",
    "BASHOPTS", "GLOBIGNORE", "HISTFILE", "INPUTRC", "MAIL", "MAILPATH",
    # C library and loader
    "LOCPATH", "NLSPATH", "GCONV_PATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
    "GLIBC_TUNABLES", "TZDIR", "GETCONF_DIR", "LANGUAGE",
    # TLS and tools commonly run by tools
    "OPENSSL_CONF", "OPENSSL_ENGINES", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE", "GIT_EXEC_PATH", "EDITOR", "VISUAL", "PAGER",
})
RESERVED_PREFIXES = (
    "LD_", "DYLD_", "MALLOC_", "BASH_FUNC_", "PYTHON", "PERL", "RUBY", "GEM_", "NODE_",
    "NPM_CONFIG_", "JAVA_", "_JAVA_", "JDK_JAVA_", "LUA_", "GIT_", "LC_", "PRAXIS_",
)


def reserved_env_name(name: str) -> bool:
    """Whether `name` (compared upper-cased) is on the deny-list or starts with one of it."""
    upper = name.upper()
    return upper in RESERVED_NAMES or upper.startswith(RESERVED_PREFIXES)
