"""Tests of shadowmmu.states: the simulator explorers' records against the simulator."""
