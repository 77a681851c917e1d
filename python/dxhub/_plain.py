"""JSON for values json does not know: numpy arrays and scalars."""


def plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")
    return str(value)
