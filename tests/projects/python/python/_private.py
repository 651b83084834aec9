raise RuntimeError("a private module is never preloaded")
