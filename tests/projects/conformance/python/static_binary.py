"""The resource test://static-binary: a Python resource's bytes are sent as a blob."""

from content import RED_PIXEL_PNG


def main():
    return RED_PIXEL_PNG
