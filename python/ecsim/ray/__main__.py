"""``python -m ecsim.ray sweep FILE --address ...``"""

import sys

from ecsim.ray import main

sys.exit(main())
