"""The `oidc` fixture: a real OpenID Connect provider on loopback for the whole test session
(see oidc_provider.py for what it offers)."""

import shutil
import tempfile
from pathlib import Path

import pytest

from oidc_provider import OidcProvider, default_config


@pytest.fixture(scope="session")
def oidc():
    directory = Path(tempfile.mkdtemp(prefix="wax-oidc-"))
    provider = OidcProvider(directory, default_config()).start()
    yield provider
    provider.stop()
    shutil.rmtree(directory, ignore_errors=True)
