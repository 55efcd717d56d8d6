"""torch.random: the default CPU generator's functions, and fork_rng.

The generator and its state live in C (ctorch._C.Generator); this module only
gives PyTorch's names a home and adds the fork_rng context manager.
"""
import contextlib

from ._C import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: F401

__all__ = ["default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cpu"):
    """Restore the default generator's state on exit (CPU only: ctorch has no
    CUDA generators yet, so `devices` has nothing to save)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
