# A python3 process holding a few hundred MB of objects: dicts, strings, lists, floats and some bytes.
import os, signal
rows = [{"id": i, "name": "user%07d" % i, "email": "user%d@example.com" % i, "score": i * 0.25,
         "tags": ["t%d" % (i % 97), "group%d" % (i % 13)]} for i in range(600_000)]
blobs = [os.urandom(4096) for _ in range(5_000)]
text = ["line %d: the quick brown fox jumps over the lazy dog" % i for i in range(400_000)]
print("ready", flush=True)
signal.pause()
