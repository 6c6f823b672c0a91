# attack: os._exit(0) while imported, hoping a clean exit reads as success
import os

os._exit(0)
