"""`microshop serve | migrate | create-admin`, and the developer's `run | db | broker | seed-demo`.

Only production modules are imported at the top: `microshop serve` is the service image's
entrypoint. The dev commands import `microshop.devtools` (honcho, the embedded PostgreSQL and
NATS, the demo shop; the optional extra `microshop[local]`) inside their handlers.
"""

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

from pydantic import ValidationError

from microshop.auth.config import AuthSettings
from microshop.common.migrations import SERVICES
from microshop.operations import ConfigurationError, check_database, migrate_all, service_settings


def _devtools(module: str) -> ModuleType:
    """A module of `microshop.devtools`, or one line saying which extra the command needs."""
    try:
        return import_module(f"microshop.devtools.{module}")
    except ImportError as exc:
        raise ConfigurationError(
            f"this command runs on a developer's machine and needs the local extra "
            f"(pip install 'microshop[local]'): {exc}"
        ) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Run one service under uvicorn."""
    import uvicorn

    settings = service_settings(args.service)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Metrics from every worker are summed at /metrics (prometheus-client multiprocess mode).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"microshop-{args.service}-metrics-")
    uvicorn.run(
        f"microshop.{args.service}.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_config=None,
        proxy_headers=False,
        http="microshop.common.http_server:LimitedHttpToolsProtocol",
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_seconds,
        backlog=settings.listen_backlog,
        server_header=False,
        timeout_graceful_shutdown=5,
        # A worker answers the supervisor's health pings only once it has imported everything;
        # uvicorn's 5 s default kills and respawns workers forever on a loaded 2-core machine.
        timeout_worker_healthcheck=60,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply every service's migrations (each to its own schema and database URL)."""
    for service in migrate_all(args.services or SERVICES):
        print(f"migrated {service}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Start or stop the embedded PostgreSQL."""
    runner = _devtools("runner")
    database = runner.embedded_database()
    if args.action == "start":
        runner.start_embedded(database)
        print(runner.application_url(database))
    else:
        database.stop()
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    """Start or stop the embedded NATS server (JetStream)."""
    runner = _devtools("runner")
    broker = runner.embedded_broker()
    if args.action == "start":
        runner.start_broker(broker)
        print(broker.url)
    else:
        broker.stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Broker, database, migrations, the three services and the web app, until Ctrl-C."""
    runner = _devtools("runner")
    return runner.run_all(workers=args.workers, with_web=not args.no_web)


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create a verified admin in the auth database (or promote the account with that email)."""
    import asyncio

    from microshop.auth.admin import AdminError, create_admin

    settings = AuthSettings()
    check_database("auth", settings.database_url)
    try:
        summary = asyncio.run(
            create_admin(settings, email=args.email, password=args.password, username=args.username, name=args.name)
        )
    except AdminError as exc:
        raise ConfigurationError(f"create-admin: {exc}") from None
    print(summary)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Load the demo accounts and catalog through the running services (idempotent)."""
    import asyncio

    demo = _devtools("demo")

    settings = AuthSettings()
    if settings.is_production:
        raise ConfigurationError("seed-demo: demo data is never loaded when MICROSHOP_ENV=production")
    check_database("auth", settings.database_url)
    products = service_settings("products")
    products_url = args.products_url or f"http://127.0.0.1:{products.port}"
    try:
        print(asyncio.run(demo.seed_demo(settings=settings, auth_url=products.auth_url, products_url=products_url)))
    except Exception as exc:  # network or API refusals: one line naming what failed
        raise ConfigurationError(f"seed-demo: {exc}") from None
    print(demo.credentials_banner())
    return 0


def cmd_projections(args: argparse.Namespace) -> int:
    """Rebuild Products' read models from their sources (today: the stock levels, from Inventory)."""
    import asyncio

    from microshop.products.config import ProductsSettings
    from microshop.products.stock.service import rebuild_from_settings

    settings = ProductsSettings()
    check_database("products", settings.database_url)
    try:
        rebuilt = asyncio.run(rebuild_from_settings(settings))
    except Exception as exc:  # Inventory or Auth refusing or unreachable: one line naming what failed
        raise ConfigurationError(f"projections rebuild: {exc or type(exc).__name__}") from None
    print(f"stock levels rebuilt from Inventory: {rebuilt} products")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="microshop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start everything (what `make run` does)")
    run.add_argument("--workers", type=int, default=1, help="worker processes per service")
    run.add_argument("--no-web", action="store_true", help="do not serve the web app")
    run.set_defaults(handler=cmd_run)

    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {', '.join(SERVICES)}; default all")
    migrate.set_defaults(handler=cmd_migrate)

    admin = commands.add_parser("create-admin", help="create an admin user in the auth database")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--username", help="default: from the email")
    admin.add_argument("--name", help="default: the username")
    admin.set_defaults(handler=cmd_create_admin)

    seed = commands.add_parser("seed-demo", help="load the demo accounts and catalog (dev only, idempotent)")
    seed.add_argument("--products-url", default=None, help="default: http://127.0.0.1:$PRODUCTS_PORT")
    seed.set_defaults(handler=cmd_seed_demo)

    db = commands.add_parser("db", help="the embedded PostgreSQL")
    db.add_argument("action", choices=["start", "stop"])
    db.set_defaults(handler=cmd_db)

    projections = commands.add_parser("projections", help="Products' read models (stock levels)")
    projections.add_argument("action", choices=["rebuild"], help="make them their source's snapshot again, in place")
    projections.set_defaults(handler=cmd_projections)

    broker = commands.add_parser("broker", help="the embedded NATS server (JetStream)")
    broker.add_argument("action", choices=["start", "stop"])
    broker.set_defaults(handler=cmd_broker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigurationError as exc:
        print(f"microshop: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # settings that cannot work: name them, no traceback
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'settings'}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        print(f"microshop: invalid configuration: {problems}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
