from datetime import UTC, datetime, timedelta

import pytest

from services.common.clock import FrozenClock, OffsetFileClock


def test_a_frozen_clock_moves_only_when_told():
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    clock = FrozenClock(start)
    assert clock.now() == start
    clock.advance(timedelta(hours=48))
    assert clock.now() == start + timedelta(hours=48)


def test_a_frozen_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 11, 23, 9, 0))


def test_an_offset_file_moves_every_reader(tmp_path):
    path = tmp_path / "offset"
    clock = OffsetFileClock(path)
    before = clock.now()
    path.write_text(str(7 * 24 * 3600))
    moved = clock.now()
    assert timedelta(days=7) <= moved - before < timedelta(days=7, minutes=1)
