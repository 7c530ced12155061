"""The API against its own OpenAPI document: a bounded schemathesis run over every operation.

Schemathesis generates requests from the schema (valid and invalid), sends them with a token holding every scope,
and checks that no operation answers a server error and that every answer matches its documented status codes and
content types. Bounded (a few examples per operation, no shrinking) so it fits the default run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from safety import Settings, build
from safety.edges.http import create_app
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.records import Scope


@pytest.fixture
def api_schema(tmp_path_factory: pytest.TempPathFactory, test_packs: dict[str, object]) -> Iterator[object]:
    root = tmp_path_factory.mktemp("schema")
    guard_settings = Settings(
        home=root / "home",
        adult_policy=str(test_packs["default"]),
        teen_policy=str(test_packs["teen"]),
        hook_allowed_dirs=(root,),
        mark_during_checks=False,
    )
    with build(guard_settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        guard.accounts.add_user("maya")
        guard.warm_up()  # /ready answers 503 until then, by design
        token = guard.accounts.issue_client("all", [Scope.GENERATE, Scope.APP, Scope.OPERATOR]).token
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(guard))
        schema.config.headers = {"Authorization": f"Bearer {token}", "X-Acting-User": "maya"}
        yield schema


def test_no_operation_answers_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(checks=[schemathesis.checks.not_a_server_error])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert not failures, "\n".join(failures)
