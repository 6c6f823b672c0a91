# attack: sys.exit(0) while imported
import sys

sys.exit(0)
