#!/usr/bin/env python3
"""A prediction server for the regression fixture's ridge model (out/model.npz), for monitor tests.

POST /predict {"rows": [{"area": .., "rooms": .., "age": ..}, ...] or [[..], ..]} answers
{"predictions": [price, ...]}. Prints "listening on http://HOST:PORT/" to stderr once it listens.
Usage: ridge_server.py --model out/model.npz [--port 0] [--scale 1.0]  (scale: a deliberately worse model)
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    model = np.load(args.model)
    weights, intercept, features = model["weights"], float(model["intercept"]), [str(f) for f in model["features"]]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer(200, {"status": "ok"})

        def do_POST(self):
            try:
                rows = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))["rows"]
                x = np.array([[r[f] for f in features] if isinstance(r, dict) else r for r in rows], dtype=float)
            except (KeyError, ValueError, TypeError) as e:
                return self.answer(400, {"error": f"bad rows: {e}"})
            self.answer(200, {"predictions": ((x @ weights + intercept) * args.scale).tolist()})

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"listening on http://{args.host}:{server.server_address[1]}/", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
