from dualcarbon.cli import main

raise SystemExit(main())
