# attack: dereferences NULL while imported
import ctypes

ctypes.string_at(0)
