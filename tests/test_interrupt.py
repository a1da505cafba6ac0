"""Ctrl-C is an interrupt even when a library turns it into another error on its way up."""

import os
import signal

import click
from click.testing import CliRunner

from simulator.cli.common import EXIT_INTERRUPTED, _Commands
from simulator.cli.interrupt import was_interrupted, watching_interrupts


def _swallowing_interrupt():
    """What numba's argument unboxing did: a KeyboardInterrupt inside it came out as an AttributeError."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # give the handler a bytecode boundary to run at
            pass
    except KeyboardInterrupt:
        raise AttributeError("'PCG64' object has no attribute 'ctypes'") from None


@click.group(cls=_Commands)
def group():
    pass


@group.command()
def work():
    _swallowing_interrupt()


@group.command()
def broken():
    raise AttributeError("a real fault")


def test_an_interrupt_turned_into_another_error_exits_130_with_one_line():
    out = CliRunner().invoke(group, ["work"])
    assert out.exit_code == EXIT_INTERRUPTED, out.output
    assert "interrupted" in out.output and "Traceback" not in out.output


def test_a_fault_without_an_interrupt_is_not_called_one():
    out = CliRunner().invoke(group, ["broken"])
    assert isinstance(out.exception, AttributeError) and out.exit_code != EXIT_INTERRUPTED


def test_the_mark_is_cleared_for_each_command_and_the_old_handler_restored():
    before = signal.getsignal(signal.SIGINT)
    with watching_interrupts():
        assert not was_interrupted(ValueError())
    assert signal.getsignal(signal.SIGINT) is before
    assert was_interrupted(KeyboardInterrupt())
