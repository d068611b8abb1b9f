from photosearch.cli import main

raise SystemExit(main())
