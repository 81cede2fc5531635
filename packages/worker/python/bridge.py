"""What Blender runs: `blender -b --factory-startup --python bridge.py`. The bridge itself is the
bod_bridge package beside this file. Imported rather than run, it can load from bytecode compiled
ahead of time (`bod serve` compiles it at start), which spares each Blender start the 20 ms or so
of compiling it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bod_bridge  # noqa: E402 - the folder is on the path only now

bod_bridge.main()
