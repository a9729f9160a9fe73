"""The cycle collector is paused or kept off the loss graph only inside the block, and a
host program's own freeze is left alone."""

import gc

import pytest

from symgrad.runtime.heap import collector_paused, heap_frozen


def test_the_collector_is_enabled_again_after_an_error():
    with pytest.raises(ValueError):
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_host_programs_freeze_is_not_undone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with heap_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_objects_are_returned_to_the_collector_after_an_error():
    with pytest.raises(RuntimeError):
        with heap_frozen():
            assert gc.get_freeze_count() > 0
            raise RuntimeError
    assert gc.get_freeze_count() == 0
