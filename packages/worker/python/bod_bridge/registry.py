"""The commands the bridge answers, by name. Each command module registers its handlers with
@command; importing the package (bod_bridge/__init__.py) imports every command module."""

#: Command name -> handler. A handler takes the validated arguments (a dict) and returns a
#: JSON-serialisable dict, or raises BridgeError.
COMMANDS = {}

#: Commands whose handler also takes the request id, to send progress events for it.
PROGRESS_COMMANDS = set()


def command(name, progress=False):
    """Registers the decorated function as the handler of command `name`.

    `progress`: the handler is called as handler(args, request_id) and may send progress events."""

    def register(handler):
        if name in COMMANDS:
            raise RuntimeError("Command %s is registered twice." % name)
        COMMANDS[name] = handler
        if progress:
            PROGRESS_COMMANDS.add(name)
        return handler

    return register
