"""Sessions: `nox -s e2e` is the main job; `nox` runs every suite."""

from __future__ import annotations

import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "e2e", "contracts", "interop"]

PYTHON = ["3.11", "3.12", "3.13"]


def install(session: nox.Session, *extras: str) -> None:
    """Install the project with the given extras into the session's venv."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and mypy."""
    install(session, "lint", "test", "e2e", "contracts")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Each service's own tests, in-process and against real processes."""
    install(session, "test")
    session.run("pytest", "tests", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """The whole flow in a real browser: every step proven, the attacks tried."""
    install(session, "test", "e2e")
    session.run("pytest", "e2e/suite", *session.posargs)


@nox.session
def contracts(session: nox.Session) -> None:
    """Provider and UDR contract suites; our stack unless URLs are given."""
    install(session, "test", "contracts")
    session.run(
        "pytest",
        "contracts",
        "--junitxml=reports/contracts.xml",
        "--findings-report=reports/contracts-findings.md",
        *session.posargs,
    )
    if not session.posargs:  # our stack once more, over TLS: the protocol contracts
        session.run(
            "pytest",
            "contracts",
            "--https",
            "-m",
            "provider_contract or udr_contract",
            "--junitxml=reports/contracts-https.xml",
            "--findings-report=reports/contracts-https-findings.md",
        )


@nox.session
def interop(session: nox.Session) -> None:
    """oidc-provider (npm) as the provider, our UDR and dashboard behind it."""
    install(session, "test", "contracts")
    session.run(
        "npm", "ci", "--prefix", "contracts/interop", "--no-audit", "--no-fund",
        external=True,
    )  # fmt: skip
    session.run(
        "pytest",
        "contracts",
        "--interop",
        "--junitxml=reports/interop.xml",
        "--findings-report=reports/interop-findings.md",
        *session.posargs,
    )


@nox.session
def demo(session: nox.Session) -> None:
    """The stack for a person, until Ctrl-C (`nox -s demo -- --https` for TLS)."""
    install(session, "test")  # trustme, for --https
    cache = ("--seed-cache", "runs/seed-cache")  # shared with the e2e suite
    session.run("python", "-m", "e2e.stack", "--demo", *cache, *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, opt-in: throughput and latency as ratios, a table and JSON.

    `nox -s bench -- --with-e2e` also times `nox -s e2e`; `-- --help` lists the rest.
    """
    install(session)
    session.install("py-spy>=0.3.14")  # bench-only: profiles a missed target
    if shutil.which("npm"):  # the npm peer, pinned by bench/peer/package-lock.json
        peer = ("--prefix", "bench/peer", "--no-audit", "--no-fund")
        session.run("npm", "ci", *peer, external=True)
    session.run("python", "-m", "bench", *session.posargs)
