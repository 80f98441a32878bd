"""Fixtures for end-to-end tests against a real OpenSearch 2.x node started by
scripts/opensearch (jars from Maven, Java 17), read back over its REST API with httpx, i.e. a
client Vimur did not write."""
import os
import shutil
import subprocess
import tempfile

import httpx
import pytest

from conftest import ROOT


class OpenSearch:
    def __init__(self, directory):
        self.dir = directory
        self.url = None
        self.start()
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def start(self):
        env = dict(os.environ, VIMUR_OPENSEARCH_WATCH_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "opensearch"), "start", self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        url = out.strip().splitlines()[-1].split("=", 1)[1]
        assert self.url in (None, url), "the node came back on another port"
        self.url = url

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "opensearch"), "stop", self.dir],
                       capture_output=True, text=True)

    def refresh(self, index):
        r = self.client.post(f"/{index}/_refresh")
        r.raise_for_status()

    def exists(self, index):
        return self.client.head(f"/{index}").status_code == 200

    def documents(self, index):
        """Every document of `index` as {id: source}, after a refresh."""
        self.refresh(index)
        r = self.client.post(f"/{index}/_search",
                             json={"query": {"match_all": {}}, "size": 10000})
        r.raise_for_status()
        body = r.json()
        hits = body["hits"]["hits"]
        assert body["hits"]["total"]["value"] == len(hits), "more documents than one page"
        return {h["_id"]: h["_source"] for h in hits}

    def mapping(self, index):
        r = self.client.get(f"/{index}/_mapping")
        r.raise_for_status()
        return r.json()[index]["mappings"]

    def close(self):
        self.client.close()


# One node per test session (per xdist worker): a node takes seconds to start and half a GB;
# the tests that share it use indexes of their own.
@pytest.fixture(scope="session")
def opensearch():
    directory = tempfile.mkdtemp(prefix="vimur-e2e-opensearch.")
    node = OpenSearch(directory)
    yield node
    node.close()
    node.stop()
    shutil.rmtree(directory, ignore_errors=True)
