"""One module per command-line command; each has run(args, ...) -> exit status."""

import signal


def install_stop_signals() -> None:
    """SIGTERM stops like Ctrl-C (KeyboardInterrupt, exit 130), so files close properly."""

    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
