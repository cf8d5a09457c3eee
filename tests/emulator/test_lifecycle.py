"""The lifecycle engine: clock-driven steps."""

from __future__ import annotations

import pytest

from powerbridge.emulator.clock import Clock
from powerbridge.emulator.lifecycle import Engine


class TestEngine:
    def test_runs_due_steps_in_time_order_then_fifo(self) -> None:
        clock = Clock("manual", base=100.0)
        engine = Engine(clock)
        ran: list[tuple[str, float]] = []
        engine.on("t", lambda rid, due: ran.append((rid, due)))
        engine.schedule(105, "t", "late")
        engine.schedule(101, "t", "first")
        engine.schedule(103, "t", "second-a")
        engine.schedule(103, "t", "second-b")
        clock.advance(10)
        assert engine.run_due() == 4
        assert ran == [("first", 101), ("second-a", 103), ("second-b", 103), ("late", 105)]
        assert engine.pending == 0

    def test_only_due_steps_run(self) -> None:
        clock = Clock("manual", base=0.0)
        engine = Engine(clock)
        ran: list[str] = []
        engine.on("t", lambda rid, due: ran.append(rid))
        assert engine.after(5, "t", "a") == 5.0
        engine.after(10, "t", "b")
        assert engine.run_due() == 0
        clock.advance(5)
        assert engine.run_due() == 1
        assert ran == ["a"]
        assert (engine.pending, engine.next_due()) == (1, 10.0)
        clock.advance(5)
        engine.run_due()
        assert ran == ["a", "b"]
        assert engine.next_due() is None

    def test_unknown_topic_is_rejected(self) -> None:
        with pytest.raises(KeyError, match="nope"):
            Engine(Clock()).schedule(0, "nope", "r")

    def test_handlers_may_schedule_the_next_step(self) -> None:
        """An instant clock runs a whole chain of steps in one pass."""
        engine = Engine(Clock("instant"))
        steps: list[str] = []

        def step(resource_id: str, due: float) -> None:
            steps.append(resource_id)
            if len(steps) < 4:
                engine.after(30, "build", resource_id)

        engine.on("build", step)
        engine.after(30, "build", "vm")
        assert engine.run_due() == 4
        assert steps == ["vm"] * 4

    def test_a_chain_covered_by_one_advance_runs_at_its_own_times(self) -> None:
        """Inside a step, `after` counts from the step's due time, not from the clock."""
        clock = Clock("manual", base=0.0)
        engine = Engine(clock)
        steps: list[float] = []

        def step(resource_id: str, due: float) -> None:
            steps.append(due)
            engine.after(10, "t", resource_id)

        engine.on("t", step)
        engine.after(10, "t", "vm")
        clock.advance(25)
        assert engine.run_due() == 2  # due at 10, then at 20; the one at 30 waits
        assert steps == [10.0, 20.0]
        assert engine.next_due() == 30.0
        assert engine.after(1, "t", "other") == 26.0  # outside a step: from the clock

    def test_reentrant_run_is_a_no_op(self) -> None:
        engine = Engine(Clock("instant"))
        inner: list[int] = []
        engine.on("t", lambda rid, due: inner.append(engine.run_due()))
        engine.after(0, "t", "a")
        engine.after(0, "t", "b")
        assert engine.run_due() == 2
        assert inner == [0, 0]

    def test_a_failing_handler_does_not_wedge_the_engine(self) -> None:
        engine = Engine(Clock("instant"))
        ran: list[str] = []

        def handler(resource_id: str, due: float) -> None:
            if resource_id == "bad":
                raise RuntimeError("boom")
            ran.append(resource_id)

        engine.on("t", handler)
        engine.after(0, "t", "bad")
        with pytest.raises(RuntimeError):
            engine.run_due()
        engine.after(0, "t", "good")
        assert engine.run_due() == 1
        assert ran == ["good"]
