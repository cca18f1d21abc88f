import sys

from mapekd.cli.main import main

sys.exit(main())
