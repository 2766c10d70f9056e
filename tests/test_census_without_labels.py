"""A build of a census the hand labels are not from (a cut of the 2022 census alone): every page a
visitor lands on is served, and the About page says that no error is measured instead of failing."""

from __future__ import annotations

import pytest

from tests.conftest import SiteClient, make_datasette

PAGES = (
    "/",
    "/about",
    "/hub",
    "/hub/rq1_versioned_share",
    "/hub/rq2_versioning_by_task",
    "/hub/rq3_company_consistency",
    "/hub/time_versioned_share",
    "/hub/estimate_tasks",
    "/rules",
)


@pytest.fixture
def site_without_labels(built):
    _snapshots, out, _state = built
    client = SiteClient(make_datasette(out.parent))
    yield client
    client.loop.close()


def test_every_landing_page_is_served_without_the_labelled_census(site_without_labels):
    for path in PAGES:
        response = site_without_labels.get(path)
        assert response.status_code == 200, (path, response.text[:300])
    about = " ".join(site_without_labels.get("/about").text.split())
    assert "which this build does not hold: it states raw classifier shares only" in about
    assert "this build's classifier decides" not in about
