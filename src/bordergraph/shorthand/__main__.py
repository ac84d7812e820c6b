"""``python -m bordergraph.shorthand compact [--dry-run] [ROOT]``: the migration into the shorthand."""

from bordergraph.shorthand.migrate import main

raise SystemExit(main())
