import pytest

from .tiny_models import TINY


@pytest.fixture(params=sorted(TINY))
def tiny_model_type(request: pytest.FixtureRequest) -> str:
    return request.param
