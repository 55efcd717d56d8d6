"""Adagrad (lr_decay, initial_accumulator_value), one C call per group."""
import ctorch as torch

from .optimizer import (Optimizer, _check_fused, _check_lr, _check_nonnegative, _check_not_differentiable,
                        _scalar_tensor)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    _group_setdefaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _tensor_state_keys = ("step",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            _check_fused(foreach, differentiable)
        _check_not_differentiable(differentiable)
        for group in self.param_groups:   # Adagrad's state exists from the start
            for p in group["params"]:
                self._init_state(self.state[p], p)

    def _init_state(self, state, p):
        state["step"] = _scalar_tensor(0.0)
        state["sum"] = torch.full_like(p, self.defaults["initial_accumulator_value"])

    def step(self, closure=None):
        """Perform a single optimization step (closure: reevaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, (sums, steps) = self._init_group(group, ("sum", "step"), self._init_state)
            torch._C._adagrad_step(params, grads, sums, steps, float(group["lr"]), group["weight_decay"],
                                   group["lr_decay"], group["eps"], group["maximize"])
        return loss
