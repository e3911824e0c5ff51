"""One module per command-line command; each has run(args, ...) -> exit status."""

import signal


def install_stop_signals() -> None:
    """SIGTERM stops like Ctrl-C (KeyboardInterrupt, exit 130), so files close properly.

    SIGINT is set too: a process started in the background by a shell inherits it ignored.
    """

    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGINT, signal.default_int_handler)
