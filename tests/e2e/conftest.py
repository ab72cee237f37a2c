# conftest.py: pytest fixtures that run a real sluiced on 127.0.0.1 for the
# end-to-end suite (see sluice_e2e.py for the helpers behind them).
#
# Fixtures:
#   sluice          a fresh, running daemon per test (domain example.test,
#                   users demo@ and alice@, STARTTLS on). Options through
#                   @pytest.mark.sluice_options(settings={...}, tls=False).
#   sluice_module   one running daemon shared by a module, for cheap tests
#                   that identify their mail by unique markers.
#   sluice_factory  makes more instances: sluice_factory(start=False,
#                   accounts=False, tls=False, settings={...}).
# Teardown stops each daemon with SIGTERM and fails the test unless it
# exited 0 and its log has no panic or sanitizer report. A failing test
# gets the daemon log tail appended to its report.

import pytest

import sluice_e2e
from sluice_e2e import Sluice


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "sluice_options(settings=None, tls=True, accounts=True): "
        "options for the `sluice` fixture")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for instance in list(sluice_e2e.ACTIVE):
            report.sections.append(
                (f"sluiced log ({instance.base_dir})", instance.log_tail()))


@pytest.fixture(scope="session")
def sluice_binaries():
    """Fails every e2e test with one clear message when nothing is built."""
    message = sluice_e2e.binaries_missing()
    if message:
        pytest.fail(message, pytrace=False)
    return sluice_e2e.SLUICED, sluice_e2e.SLUICE_CLI


@pytest.fixture(scope="session")
def tls_material(sluice_binaries, tmp_path_factory):
    """One self-signed certificate per run; each instance copies it."""
    return sluice_e2e.make_tls_material(tmp_path_factory.mktemp("tls"))


class _Factory:
    def __init__(self, tls_material):
        self.tls_material = tls_material
        self.instances = []

    def __call__(self, *, settings=None, tls=True, accounts=True,
                 start=True):
        instance = Sluice(tls_source=self.tls_material if tls else None,
                          settings=settings, accounts=accounts)
        self.instances.append(instance)
        if start:
            instance.start()
        return instance

    def adopt(self, base_dir, config):
        instance = Sluice.adopt(base_dir, config)
        self.instances.append(instance)
        return instance

    def finish(self):
        errors = []
        for instance in self.instances:
            try:
                instance.finish()
            except AssertionError as error:
                errors.append(str(error))
        if errors:
            pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def sluice_factory(sluice_binaries, tls_material):
    factory = _Factory(tls_material)
    yield factory
    factory.finish()


@pytest.fixture
def sluice(request, sluice_factory):
    marker = request.node.get_closest_marker("sluice_options")
    options = dict(marker.kwargs) if marker else {}
    # Indirect parametrization may add settings (see test_durability.py).
    extra = getattr(request, "param", None)
    if extra:
        options["settings"] = {**(options.get("settings") or {}), **extra}
    return sluice_factory(**options)


@pytest.fixture(scope="module")
def sluice_module(sluice_binaries, tls_material):
    factory = _Factory(tls_material)
    yield factory()
    factory.finish()
