"""The one redaction of credentials (scripts/acquire/redact.py), and the acquisition code's use of
huggingface_hub through its public API only."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.acquire.redact import redact_text, redact_uri, secrets_of

ROOT = Path(__file__).resolve().parent.parent
SECRET = "S3cretPassw0rd"


@pytest.mark.parametrize(
    "uri, redacted",
    [
        (f"http://alice:{SECRET}@127.0.0.1:8765", "http://127.0.0.1:8765"),
        (f"https://alice:{SECRET}@mlflow.example.com:5000/", "https://mlflow.example.com:5000/"),
        (f"http://127.0.0.1:5000/?token={SECRET}&x=1", "http://127.0.0.1:5000/?x=1"),
        (
            f"https://h/?access_token={SECRET}&API_KEY={SECRET}&username=bob&sslmode=require",
            "https://h/?sslmode=require",
        ),
        (
            f"postgresql://ml:{SECRET}@db/mlflow?sslmode=require&password={SECRET}",
            "postgresql://db/mlflow?sslmode=require",
        ),
        ("sqlite:////srv/mlflow/mlflow.db", "sqlite:////srv/mlflow/mlflow.db"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        (f"databricks?token={SECRET}", "databricks"),
        ("databricks-uc", "databricks-uc"),
        ("https://huggingface.co#frag", "https://huggingface.co"),
    ],
)
def test_redact_uri_drops_user_info_and_credential_parameters(uri, redacted):
    assert redact_uri(uri) == redacted
    assert SECRET not in redact_uri(uri)


def test_redact_text_removes_secrets_wherever_a_library_repeats_them():
    uri = f"http://alice:{SECRET}@127.0.0.1:5000/?token={SECRET}"
    # As MLflow words a connection error: the URI with a path glued after its query, and the
    # query again in urllib3's retry message.
    message = (
        f"API request to {uri}/api/2.0/mlflow/registered-models/search failed: Max retries exceeded "
        f"with url: /?token={SECRET}/api/2.0/mlflow/registered-models/search (user alice:{SECRET}@)"
    )
    text = redact_text(message, uri)
    assert SECRET not in text and "alice:" not in text
    assert "http://127.0.0.1:5000/" in text and "registered-models/search" in text
    encoded = f"http://alice:{SECRET.replace('0', '%30')}@h/"
    assert "%30" not in redact_text(f"failed: {encoded.replace('%30', '0')}", encoded)
    assert secrets_of("http://a:pw@h/") == {"a:pw@"}  # a two-letter password is not searched alone


def test_protect_redacts_every_log_record_of_the_process():
    # In a child process: the record factory stays installed for the process's life.
    code = f"""
import logging, sys
from scripts.acquire.redact import protect
logging.basicConfig(stream=sys.stdout, format="%(name)s %(message)s")
protect("http://alice:{SECRET}@h:1/?token=T0kenValue")
logging.getLogger("huggingface_hub.utils._http").warning("GET %s failed", "http://alice:{SECRET}@h:1/x")
try:
    raise ValueError("token T0kenValue refused")
except ValueError:
    logging.getLogger("other").exception("boom")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "GET http://h:1/x failed" in out.stdout and "ValueError: token *** refused" in out.stdout
    assert SECRET not in out.stdout + out.stderr and "T0kenValue" not in out.stdout + out.stderr
    assert logging.getLogRecordFactory() is logging.LogRecord  # this process is untouched


def test_acquisition_uses_no_private_huggingface_hub_name():
    """No `_name` of huggingface_hub is imported or reached by attribute in scripts/acquire or the fake Hub."""
    private = []
    files = sorted((ROOT / "scripts" / "acquire").glob("*.py")) + [ROOT / "scripts" / "dev" / "fakehub.py"]
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("huggingface_hub"):
                names = [node.module, *(a.name for a in node.names)]
                private += [
                    f"{path.name}:{node.lineno} {n}"
                    for n in names
                    if any(p.startswith("_") for p in n.split("."))
                ]
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                chain = ast.unparse(node)
                if chain.startswith(("huggingface_hub", "hf_")):
                    private.append(f"{path.name}:{node.lineno} {chain}")
    assert private == []
