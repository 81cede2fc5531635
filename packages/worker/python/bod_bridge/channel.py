"""The channel to the worker: JSON lines written to fd 4 (or a FIFO), and the error type every
command raises for a failure the caller can act on."""

import json
import threading

REQUEST_FD = 3
RESPONSE_FD = 4

_write_lock = threading.Lock()
_response_stream = None


def attach(stream):
    """Where send() writes from now on (set once by main())."""
    global _response_stream
    _response_stream = stream


class BridgeError(Exception):
    """A command failure the caller can act on; `code` is one of the contracts' ToolErrorCode."""

    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def send(message):
    """Writes one JSON line to the worker; safe from Blender's render thread."""
    line = json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n"
    with _write_lock:
        _response_stream.write(line)
        _response_stream.flush()


def send_progress(request_id, progress, total, message):
    send({"event": "progress", "id": request_id, "progress": progress, "total": total, "message": message})
