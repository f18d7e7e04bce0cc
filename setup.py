"""Only the optional C loop of the ledger's Merkle hashing; everything else is in pyproject.toml.

The extension links the system OpenSSL (libcrypto 3). When it cannot be built (no compiler or
headers), the install goes on without it and the ledger hashes with hashlib instead, with the
same results (services/ledger/hashing.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "services.ledger._leafhash",
            sources=["services/ledger/native/leafhash.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
