"""Whatever a browser sends to the usage page or the callback, it never gets a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import create_app
from tests.dashboard import fakes
from tests.dashboard.conftest import log_in, make_settings

moments = st.datetimes(timezones=st.none() | st.timezones()).map(
    lambda moment: moment.isoformat()
)
text = (
    st.text(max_size=80)
    | moments
    | st.sampled_from(
        ["", "2026-11-01", "2026-11-01T00:00", "2026-11-01 00:00", "2026-02-30", "day"]
    )
)
parameters = st.dictionaries(
    st.sampled_from(["keystoneid", "from", "to", "bucket", "state", "code", "x"]),
    text,
    max_size=5,
)


@pytest.fixture(scope="module")
def alice() -> Iterator[TestClient]:
    provider = fakes.FakeProvider()
    network = fakes.RoutingTransport(
        {
            fakes.PROVIDER_HOST: fakes.provider_app(provider),
            fakes.UDR_HOST: fakes.udr_app(fakes.FakeUdr(provider)),
        }
    )
    app = create_app(make_settings(), transport=network)
    with TestClient(app, base_url=fakes.PUBLIC_URL) as client:
        assert log_in(client).status_code == 303
        yield client


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=parameters)
def test_usage_page_never_fails_on_any_query(
    alice: TestClient, params: dict[str, str]
) -> None:
    response = alice.get("/usage", params=params)

    assert response.status_code in (200, 400, 403)
    assert "Traceback" not in response.text


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=parameters)
def test_callback_never_fails_on_any_query(
    alice: TestClient, params: dict[str, str]
) -> None:
    response = alice.get("/callback", params=params, follow_redirects=False)

    assert response.status_code == 400
