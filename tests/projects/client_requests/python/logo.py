def main():
    return b"\x00\x01binary\xff"
