"""What every command shares: exit codes, common options, building or failing with the report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from bordergraph.build import Built, InvalidDataError, build
from bordergraph.builddir import (
    BuildDir,
    BuildError,
    current,
    project_inputs,
    publish,
    validation_summary,
    write_store,
)
from bordergraph.paths import find_paths
from bordergraph.problems import LoadError

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BORDERGRAPH_ROOT",
    help="Folder holding ontology/, data/ and queries/ (default: this checkout, else the installed copy).",
)
data_option = click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Validate these record files instead of data/records/*.trig (repeatable).",
)


def folder_option(*names: str, default: str, help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """An option naming an output folder (created when needed)."""
    return click.option(
        *names, type=click.Path(file_okay=False, path_type=Path), default=Path(default), show_default=True, help=help
    )


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(message, err=True)
    sys.exit(code)


build_dir_option = click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BORDERGRAPH_BUILD_DIR",
    show_envvar=True,
    default=Path("build"),
    show_default=True,
    help="Folder of the builds (bordergraph build --out); BUILD_DIR/current is the last good one.",
)


def build_or_exit(root: Path | None, data_files: tuple[Path, ...] = (), dump_dir: Path | None = None) -> Built:
    """Build (and write the canonical dump into ``dump_dir``) or exit with the report: 1 invalid data, 2 else."""
    try:
        return build(root, list(data_files) or None, dump_dir)
    except LoadError as exc:
        fail("INVALID: the files do not load:\n" + "\n".join(f"  - {p}" for p in exc.problems), EXIT_INVALID)
    except InvalidDataError as exc:
        fail(exc.report.render(), EXIT_INVALID)
    except FileNotFoundError as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    except Exception as exc:  # anything else is our failure, not the data's: exit 2, not 1
        fail(f"error: {type(exc).__name__}: {exc}", EXIT_ERROR)


def publish_build(root: Path | None, out: Path) -> BuildDir:
    """Validate, then publish a build into ``out`` (atomically), or exit with the report.

    The build writes into the new build's own folder (its canonical dump and search index), then
    the store is bulk-loaded there; only a complete, validated build becomes ``out/current``.
    """
    try:
        inputs = project_inputs(find_paths(root).root)
        prints = inputs.fingerprint()  # before loading: a file changed during the build makes the next start rebuild
    except OSError as exc:
        fail(f"error: {exc}", EXIT_ERROR)

    def fill(folder: Path) -> dict[str, Any]:
        built = build_or_exit(root, dump_dir=folder)  # exits (and the folder is removed) when the data is invalid
        click.echo(built.report.render(), err=True)
        counts = write_store(folder, quads=built.store.store.quads_for_pattern(None, None, None, None))
        return {**counts, "validation": validation_summary(built.report)}

    try:
        return publish(out, inputs, fill, prints=prints)
    except BuildError as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    except OSError as exc:
        fail(f"error: cannot write the build to {out}: {exc.strerror or exc}", EXIT_ERROR)


def last_good_build(root: Path | None, build_dir: Path) -> BuildDir:
    """The last good build when it was made from exactly today's inputs and tools; else a new one, built first."""
    try:
        found = current(build_dir)
        inputs = project_inputs(find_paths(root).root)
        reason = found.mismatch(inputs) if found else f"no validated build in {build_dir}"
    except OSError as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    if found is not None and reason is None:
        click.echo(
            f"using build {found.id} ({found.path}, validated {found.manifest['created']}): "
            "inputs and tools unchanged, not validated again",
            err=True,
        )
        return found
    click.echo(f"building first: {reason}", err=True)
    return publish_build(root, build_dir)
